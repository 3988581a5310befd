#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The speed issue's targets, measured the way a noisy shared machine allows:
our tool and its yardstick (xmllint) alternate in shuffled rounds on the same
files in the same run, and the figure is the median of the per-round ratios
(min and max beside it). A benchmark, never a test: it prints figures.

    benchmarks/speed.py [--bin build/tools/hostdev-preflight] [--rounds 15]
                        [--cases batch-lv,batch,memory,one-file,host,group]
                        [--callgrind] [--keep DIR]

Cases:
  batch-lv   the corpus's valid domains in one process, libvirt's grammar,
             vs xmllint --noout --relaxng domain.rng         (target <= 0.65x)
  batch      the same without libvirt's grammar, vs xmllint --noout (<= 0.8x)
  memory     peak RSS of both batch runs (/usr/bin/time), vs xmllint's (<= 1.5x)
  one-file   one domain, a new process, libvirt's grammar (its cache made
             first, as any second run finds it), vs xmllint --relaxng (<= 1.0x)
  host       validate --root against a generated host, 256 devices (<= 50 ms)
  group      one device of a 10,000-member IOMMU group (<= 0.2 s)
With --callgrind, the one-file and group cases also give instruction counts
(valgrind --tool=callgrind), which the machine's load does not move.
Host trees are built with tests/hosts/mkhost.py (about a minute for 10,000
functions); --keep DIR keeps them for the next run.
"""
import argparse
import csv
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "hosts"))
import mkhost  # noqa: E402

GNU_TIME = "/usr/bin/time"


def run_once(cmd, env=None):
    """Wall seconds of one run, and its peak RSS in KiB (GNU time)."""
    out = tempfile.NamedTemporaryFile(prefix="hp-speed-", suffix=".rss", delete=False).name
    t0 = time.perf_counter()
    p = subprocess.run([GNU_TIME, "-f", "%M", "-o", out] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env)
    dt = time.perf_counter() - t0
    try:
        rss = int(open(out).read().split()[-1])
    except (ValueError, IndexError):
        rss = 0
    os.unlink(out)
    return dt, rss, p.returncode


def alternate(name, ours, theirs, rounds, env=None):
    """Both commands once a round, in shuffled order; per-round ratios."""
    rows = []
    for _ in range(rounds):
        pair = [("ours", ours), ("theirs", theirs)]
        random.shuffle(pair)
        got = {}
        for who, cmd in pair:
            got[who] = run_once(cmd, env)
        rows.append(got)
    t_ratio = [r["ours"][0] / r["theirs"][0] for r in rows]
    m_ratio = [r["ours"][1] / r["theirs"][1] for r in rows if r["theirs"][1]]
    med = statistics.median
    print(f"{name}: ours {med(r['ours'][0] for r in rows) * 1000:.1f} ms, "
          f"theirs {med(r['theirs'][0] for r in rows) * 1000:.1f} ms (medians of {rounds}; exit "
          f"{rows[0]['ours'][2]}/{rows[0]['theirs'][2]})")
    print(f"  time ratio  median {med(t_ratio):.3f}x  min {min(t_ratio):.3f}  max {max(t_ratio):.3f}")
    if m_ratio:
        print(f"  peak memory ours {med(r['ours'][1] for r in rows) / 1024:.1f} MB, theirs "
              f"{med(r['theirs'][1] for r in rows) / 1024:.1f} MB, ratio median {med(m_ratio):.3f}x")
    return med(t_ratio)


def timed(name, cmd, rounds, env=None):
    times = [run_once(cmd, env) for _ in range(rounds)]
    med = statistics.median(t for t, _, _ in times)
    print(f"{name}: median {med * 1000:.1f} ms, min {min(t for t, _, _ in times) * 1000:.1f}, "
          f"max {max(t for t, _, _ in times) * 1000:.1f} (of {rounds}; exit {times[0][2]})")
    return med


def callgrind(name, cmd, env=None):
    if not shutil.which("valgrind"):
        print(f"{name}: no valgrind")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg"] + cmd,
                           capture_output=True, text=True, env=env)
    m = re.search(r"refs:\s+([\d,]+)", p.stderr)
    n = int(m.group(1).replace(",", "")) if m else None
    print(f"{name}: {n:,} instructions (callgrind)" if n else f"{name}: callgrind failed")
    return n


def host_tree(keep, name, lines):
    root = os.path.join(keep, name)
    if not os.path.isdir(os.path.join(root, "sys")):
        desc = root + ".host"
        with open(desc, "w") as f:
            f.write("\n".join(lines) + "\n")
        t0 = time.perf_counter()
        mkhost.build(desc, root)
        print(f"(built {name} in {time.perf_counter() - t0:.0f} s)")
    return root


def domain_xml(path, addrs):
    with open(path, "w") as f:
        f.write("<domain type='kvm'>\n  <name>speed</name>\n  <devices>\n")
        for a in addrs:
            d, b, rest = a.split(":")
            s, fn = rest.split(".")
            f.write(f"    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x{d}' "
                    f"bus='0x{b}' slot='0x{s}' function='0x{fn}'/></source></hostdev>\n")
        f.write("  </devices>\n</domain>\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "tools", "hostdev-preflight"))
    ap.add_argument("--schemas", default="/usr/share/libvirt/schemas")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--cases", default="batch-lv,batch,memory,one-file,host,group")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--keep", metavar="DIR")
    a = ap.parse_args()
    cases = set(a.cases.split(","))
    corpus = os.path.join(TOP, "tests", "data", "corpus")
    rows = list(csv.DictReader(open(os.path.join(corpus, "libvirt-domains.verdicts.tsv")), delimiter="\t"))
    files = [os.path.join(corpus, "libvirt-domains", r["file"]) for r in rows if r["rng_ok"] == "1"]
    rng = os.path.join(a.schemas, "domain.rng")
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"{len(files)} valid corpus files; {os.cpu_count()} CPUs; load average {' '.join(load)} at the start")
    tmp = a.keep or tempfile.mkdtemp(prefix="hp-speed-")
    os.makedirs(tmp, exist_ok=True)
    # the grammar cache as a second run finds it: its own directory, made now
    env = dict(os.environ, HOSTDEV_PREFLIGHT_GRAMMAR_CACHE=os.path.join(tmp, "grammar-cache"))
    subprocess.run([a.bin, "validate", "--no-host", "--libvirt-schemas", a.schemas, files[0]], env=env,
                   stdout=subprocess.DEVNULL)
    ours_lv = [a.bin, "validate", "--no-host", "--libvirt-schemas", a.schemas] + files
    ours = [a.bin, "validate", "--no-host", "--no-libvirt-schemas"] + files
    if "batch-lv" in cases or "memory" in cases:
        alternate("batch, libvirt's grammar (target <= 0.65x time, <= 1.5x memory)", ours_lv,
                  ["xmllint", "--noout", "--relaxng", rng] + files, a.rounds, env)
    if "batch" in cases or "memory" in cases:
        alternate("batch, no libvirt grammar (target <= 0.8x time, <= 1.5x memory)", ours,
                  ["xmllint", "--noout"] + files, a.rounds, env)
    one = files[len(files) // 2]  # a typical valid domain
    if "one-file" in cases:
        alternate("one file cold, libvirt's grammar (target <= 1.0x)",
                  [a.bin, "validate", "--no-host", "--libvirt-schemas", a.schemas, one],
                  ["xmllint", "--noout", "--relaxng", rng, one], a.rounds * 4, env)
        if a.callgrind:
            callgrind("  one file, ours", [a.bin, "validate", "--no-host", "--libvirt-schemas", a.schemas, one], env)
            callgrind("  one file, ours without the grammar cache",
                      [a.bin, "validate", "--no-host", "--libvirt-schemas", a.schemas, one],
                      dict(env, HOSTDEV_PREFLIGHT_GRAMMAR_CACHE=""))
            callgrind("  one file, xmllint", ["xmllint", "--noout", "--relaxng", rng, one])
    if "host" in cases:
        lines = ["driver tg3", "driver vfio-pci module=vfio_pci", "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci"]
        addrs = []
        for i in range(512):
            a_ = f"0000:{1 + i // 8:02x}:00.{i % 8}"
            lines.append(f"device {a_} vendor=14e4 device=1657 driver=vfio-pci group={1 + i // 8} header=0x80")
            addrs.append(a_)
        root = host_tree(tmp, "host512", lines)
        xml = domain_xml(os.path.join(tmp, "host256.xml"), addrs[:256])
        timed("host, 256 devices of a 512-function host (target <= 50 ms)",
              [a.bin, "validate", "--no-libvirt-schemas", "--root", root, "--kernel-release", "6.12.0-hp", xml],
              a.rounds, env)
    if "group" in cases:
        lines = ["driver tg3", "driver vfio-pci module=vfio_pci", "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci"]
        for i in range(10000):
            lines.append(f"device 0000:{1 + i // 256:02x}:{(i // 8) % 32:02x}.{i % 8} vendor=14e4 device=1657 "
                         f"driver=tg3 group=7 header=0x80")
        root = host_tree(tmp, "group10000", lines)
        xml = domain_xml(os.path.join(tmp, "group.xml"), ["0000:01:00.0"])
        cmd = [a.bin, "validate", "--no-libvirt-schemas", "--root", root, "--kernel-release", "6.12.0-hp", xml]
        timed("host, one device of a 10,000-member group (target <= 0.2 s)", cmd, max(3, a.rounds // 3), env)
        if a.callgrind:
            callgrind("  group of 10,000", cmd, env)
    with open("/proc/loadavg") as f:
        print(f"load average {' '.join(f.read().split()[:3])} at the end")
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
