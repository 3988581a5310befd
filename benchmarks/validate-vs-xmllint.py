#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Speed of `hostdev-preflight validate` against xmllint, in one run, on the
same files: the libvirt corpus's valid domains (tests/data/corpus).

    benchmarks/validate-vs-xmllint.py [--bin build/tools/hostdev-preflight] [--runs 7]

Each command gets all files in one process (grammars compiled once), run
--runs times; the best wall time and the peak RSS (from wait4) are kept.
virt-xml-validate takes one file a process, so it runs on a sample and its
time is scaled to the whole set. Prints the figures and the ratios that the
targets are about:
  with libvirt's grammar  <= 1.2 x  xmllint --noout --relaxng domain.rng
  without it              <= 2   x  xmllint --noout
  peak memory             <= 2   x  xmllint's
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def measure(cmd, runs):
    """Best wall time; peak RSS in KiB through GNU time (a wait4 from Python
    would count the RSS the child had before exec, Python's own)."""
    best, peak, rc = None, 0, 0
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        rc = p.returncode
        best = dt if best is None else min(best, dt)
    if GNU_TIME:
        out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"hp-bench-{os.getpid()}.rss")
        subprocess.run([GNU_TIME, "-f", "%M", "-o", out] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = int(open(out).read().split()[-1])
        os.unlink(out)
    return best, peak, rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "tools", "hostdev-preflight"))
    ap.add_argument("--data", default=os.path.join(TOP, "tests", "data"))
    ap.add_argument("--schemas", default="/usr/share/libvirt/schemas")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--vxv-sample", type=int, default=100)
    a = ap.parse_args()

    corpus = os.path.join(a.data, "corpus")
    rows = list(csv.DictReader(open(os.path.join(corpus, "libvirt-domains.verdicts.tsv")), delimiter="\t"))
    files = [os.path.join(corpus, "libvirt-domains", r["file"]) for r in rows if r["rng_ok"] == "1"]
    rng = os.path.join(a.schemas, "domain.rng")
    print(f"{len(files)} valid domain files, {sum(os.path.getsize(f) for f in files) / 1e6:.1f} MB; "
          f"best of {a.runs} runs; {os.cpu_count()} CPUs")

    results = {}
    cases = [
        ("xmllint --noout", ["xmllint", "--noout"] + files),
        ("xmllint --noout --relaxng domain.rng", ["xmllint", "--noout", "--relaxng", rng] + files),
        ("hostdev-preflight validate --no-libvirt-schemas",
         [a.bin, "validate", "--no-host", "--no-libvirt-schemas"] + files),
        ("hostdev-preflight validate (libvirt's grammar)",
         [a.bin, "validate", "--no-host", "--libvirt-schemas", a.schemas] + files),
    ]
    for name, cmd in cases:
        t, rss, rc = measure(cmd, a.runs)
        results[name] = (t, rss)
        print(f"  {name:50s} {t * 1000:8.1f} ms  {rss / 1024:6.1f} MB peak  (exit {rc})")
    if shutil.which("virt-xml-validate"):
        sample = files[: a.vxv_sample]
        t0 = time.perf_counter()
        for f in sample:
            subprocess.run(["virt-xml-validate", f, "domain"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t = (time.perf_counter() - t0) * len(files) / len(sample)
        results["virt-xml-validate loop"] = (t, 0)
        print(f"  {'virt-xml-validate, one process a file':50s} {t * 1000:8.1f} ms  (scaled from {len(sample)} files)")

    def ratio(x, y, i=0):
        return results[x][i] / results[y][i] if results[y][i] else float("nan")

    ours_lv = "hostdev-preflight validate (libvirt's grammar)"
    ours = "hostdev-preflight validate --no-libvirt-schemas"
    checks = [
        ("time, libvirt's grammar / xmllint --relaxng", ratio(ours_lv, "xmllint --noout --relaxng domain.rng"), 1.2),
        ("time, no libvirt grammar / xmllint --noout", ratio(ours, "xmllint --noout"), 2.0),
        ("peak memory, libvirt's grammar / xmllint --relaxng", ratio(ours_lv, "xmllint --noout --relaxng domain.rng", 1), 2.0),
        ("peak memory, no libvirt grammar / xmllint --noout", ratio(ours, "xmllint --noout", 1), 2.0),
    ]
    print("ratios (target):")
    ok = True
    for name, r, target in checks:
        flag = "ok" if r <= target else ("n/a (no /usr/bin/time)" if r != r else "OVER")
        ok &= not r > target
        print(f"  {name:55s} {r:5.2f}x  (<= {target}x) {flag}")
    if "virt-xml-validate loop" in results:
        print(f"  virt-xml-validate loop / ours with libvirt's grammar   {ratio('virt-xml-validate loop', ours_lv):5.1f}x slower")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
