#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt's own domain files (tests/data/corpus) against libvirt 9.0's verdicts.

With libvirt's grammar on, our verdict must equal libvirt's for every file,
except the files listed in EXPECTED, where one of our static rules trips on a
file libvirt's grammar accepts. Every file with PCI host devices must
normalize to a fixed point in one step, the result must validate, and its
--libvirt-compat form must validate with libvirt's grammar.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import DATA, LIBVIRT, Tap, require_libvirt, run  # noqa: E402

CORPUS = os.path.join(DATA, "corpus")

# file -> (rule that trips, why libvirt's grammar lets it through)
EXPECTED = {
    "tests__qemuxml2argvdata__hostdev-pci-duplicate.xml": (
        "hostdev-duplicate",
        "libvirt's deliberately broken case: host 0000:06:12.5 is claimed twice; only libvirt's "
        "parser, not its grammar, refuses it"),
}


def main():
    tap = Tap()
    verdicts = os.path.join(CORPUS, "libvirt-domains.verdicts.tsv")
    if not require_libvirt(tap, "corpus"):
        return
    rows = list(csv.DictReader(open(verdicts), delimiter="\t"))
    tap.ok(len(rows) == 2260, "the corpus has its 2,260 files", len(rows))
    files = [os.path.join(CORPUS, "libvirt-domains", r["file"]) for r in rows]
    rc, out, err = run(["validate", "--no-host", "--format", "json", "--libvirt-schemas", LIBVIRT] + files,
                       timeout=300)
    tap.ok(rc in (0, 1) and err == "", "one validate run over the whole corpus", err[:2000])
    ours = {os.path.basename(f["file"]): f for f in json.loads(out)["files"]}
    mismatches = []
    tripped = {}
    for r in rows:
        f = ours.get(r["file"])
        libvirt_ok = r["rng_ok"] == "1"
        if f is None:
            mismatches.append(f"{r['file']}: no verdict")
            continue
        errors = [d for d in f["diagnostics"] if d["severity"] == "error"]
        if f["valid"] == libvirt_ok:
            if r["file"] in EXPECTED:
                mismatches.append(f"{r['file']}: listed as an exception but agrees with libvirt")
            continue
        rules = {d["rule"] for d in errors}
        if libvirt_ok and r["file"] in EXPECTED and EXPECTED[r["file"]][0] in rules:
            tripped[r["file"]] = rules
            continue
        mismatches.append(f"{r['file']}: libvirt {'accepts' if libvirt_ok else 'rejects'}, we say "
                          + "; ".join(f"{d['rule']}: {d['message']}" for d in errors))
    tap.ok(not mismatches, "our verdict equals libvirt 9.0's, but for the listed exceptions",
           "\n".join(mismatches))
    tap.ok(set(tripped) == set(EXPECTED), "every listed exception trips its rule",
           set(EXPECTED) - set(tripped))
    # files libvirt rejects: each gets a libvirt-schema finding with a real line
    unplaced = []
    for r in rows:
        if r["rng_ok"] == "0":
            f = ours[r["file"]]
            lv = [d for d in f["diagnostics"] if d["rule"] in ("libvirt-schema", "pci-address-invalid")]
            if not lv or any(d["line"] < 1 for d in lv):
                unplaced.append(r["file"])
    tap.ok(not unplaced, "files libvirt rejects are reported with a line", unplaced)

    pci = [r["file"] for r in rows if r["has_pci_hostdev"] == "1" and r["rng_ok"] == "1"
           and r["file"] not in EXPECTED]
    not_fixed, compat_bad = [], []
    with tempfile.TemporaryDirectory() as tmp:
        compat_files, norm_files = [], []
        for name in pci:
            path = os.path.join(CORPUS, "libvirt-domains", name)
            rc1, once, e1 = run(["normalize", "--no-libvirt-schemas", path])
            rc2, twice, e2 = run(["normalize", "--no-libvirt-schemas", "-"], stdin=once.encode())
            if rc1 != 0 or rc2 != 0 or once != twice:
                not_fixed.append(f"{name}: {rc1} {rc2} {e1} {e2}")
            norm_path = os.path.join(tmp, "norm-" + name)
            with open(norm_path, "w") as fh:
                fh.write(once)
            norm_files.append(norm_path)
            rc3, compat, e3 = run(["normalize", "--no-libvirt-schemas", "--libvirt-compat", path])
            if rc3 != 0:
                compat_bad.append(f"{name}: {e3}")
                continue
            out_path = os.path.join(tmp, name)
            with open(out_path, "w") as fh:
                fh.write(compat)
            compat_files.append(out_path)
        tap.ok(len(pci) >= 60, f"{len(pci)} corpus files have PCI host devices")
        tap.ok(not not_fixed, "normalizing twice gives the same bytes as once", "\n".join(not_fixed))
        rc, out, err = run(["validate", "--no-host", "--libvirt-schemas", LIBVIRT] + norm_files, timeout=300)
        tap.ok(rc == 0 and err == "", "every normalized output validates (ours and libvirt's grammar)", out + err)
        p = subprocess.run(["xmllint", "--noout", "--relaxng", os.path.join(LIBVIRT, "domain.rng")]
                           + compat_files, capture_output=True, text=True)
        bad = [line for line in p.stderr.splitlines() if not line.endswith(" validates")]
        tap.ok(not compat_bad and p.returncode == 0 and not bad,
               "every --libvirt-compat output validates with libvirt's grammar (xmllint)",
               "\n".join(compat_bad + bad))
    tap.done()


if __name__ == "__main__":
    main()
