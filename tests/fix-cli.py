#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""fix through the real binary.

Golden cases: tests/fix-in/NAME.xml (+ NAME.args, {hosts}/H as in the golden
tests) -> tests/fix-out/NAME.fixed.xml (what fix writes), NAME.fix.diag
(what it reports as left, then its exit status) and NAME.diff (--diff).
HP_REGENERATE=1 rewrites them; review the diff. For every case: fix on its
own output changes nothing, the --diff applies with patch(1) to give the
fixed file, no finding that fix repairs is left, and the --in-place file
equals stdout's. Over libvirt's corpus: every file fix changes still
validates against libvirt's grammar after --libvirt-compat.
"""
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import DATA, LIBVIRT, SRCDIR, Tap, have_libvirt, run  # noqa: E402

REGEN = os.environ.get("HP_REGENERATE") == "1"
IN = os.path.join(SRCDIR, "tests", "fix-in")
OUT = os.path.join(SRCDIR, "tests", "fix-out")
REPAIRED = {"multifunction-incomplete", "unassigned-has-guest-address", "unassigned-has-guest-settings",
            "guest-multifunction-off", "pci-address-octal"}


def case_args(name, hosts):
    path = os.path.join(IN, name + ".args")
    if not os.path.exists(path):
        return ["--no-host"]
    return [a.replace("{hosts}", hosts) for a in open(path).read().split("\n") if a]


def golden(tap, path, got):
    if REGEN:
        with open(path, "w") as f:
            f.write(got)
        tap.ok(True, "regenerated " + os.path.relpath(path, SRCDIR))
        return
    want = open(path).read() if os.path.exists(path) else None
    tap.ok(got == want, os.path.relpath(path, SRCDIR), "got:\n" + got)


def rules_left(text):
    rules = set()
    for line in text.splitlines():
        if line.endswith("]") and "[" in line:
            rules.add(line.rsplit("[", 1)[1][:-1])
    return rules


def main():
    tap = Tap()
    lv = ["--libvirt-schemas", LIBVIRT] if have_libvirt() else ["--no-libvirt-schemas"]
    with tempfile.TemporaryDirectory() as tmp:
        hosts = os.path.join(tmp, "hosts")
        for h in glob.glob(os.path.join(SRCDIR, "tests", "hosts", "*.host")):
            subprocess.run([sys.executable, os.path.join(SRCDIR, "tests", "hosts", "mkhost.py"), h,
                            os.path.join(hosts, os.path.basename(h)[:-5])], check=True)
        for src in sorted(glob.glob(os.path.join(IN, "*.xml"))):
            name = os.path.basename(src)[:-4]
            args = case_args(name, hosts) + lv
            rc, fixed, err = run(["fix"] + args + [src])
            golden(tap, os.path.join(OUT, name + ".fixed.xml"), fixed)
            golden(tap, os.path.join(OUT, name + ".fix.diag"),
                   err.replace(src, "tests/fix-in/" + name + ".xml") + "exit %d\n" % rc)
            rc2, diff, _ = run(["fix", "--diff"] + args + [src])
            golden(tap, os.path.join(OUT, name + ".diff"), diff.replace(src, "tests/fix-in/" + name + ".xml"))
            tap.ok(rc2 == rc, name + ": --diff exits as fix does", (rc, rc2))
            tap.ok(not (rules_left(err) & REPAIRED) or name == "unrepairable",
                   name + ": no finding fix repairs is left", err)
            # fix on its own output changes nothing
            out1 = os.path.join(tmp, name + ".1.xml")
            with open(out1, "w") as f:
                f.write(fixed)
            rc3, again, _ = run(["fix"] + args + [out1])
            tap.ok(again == fixed and rc3 == rc, name + ": fix of fix's output is the same", again)
            # the diff applies to the original and gives the fixed file
            work = os.path.join(tmp, name + ".patched.xml")
            shutil.copy(src, work)
            p = subprocess.run(["patch", "-s", "-o", work + ".out", work], input=diff.encode(), capture_output=True)
            tap.ok(p.returncode == 0 and open(work + ".out").read() == fixed,
                   name + ": patch(1) applies the --diff and gives the fixed file", p.stderr)
            # --in-place writes what stdout shows
            inplace = os.path.join(tmp, name + ".inplace.xml")
            shutil.copy(src, inplace)
            rc4, out, _ = run(["fix", "--in-place"] + args + [inplace])
            tap.ok(out == "" and open(inplace).read() == fixed and rc4 == rc,
                   name + ": --in-place writes what stdout shows", out)

        # usage
        rc, _, err = run(["fix", "--diff", "--in-place", "--no-host", os.path.join(IN, "unrepairable.xml")])
        tap.ok(rc == 2 and "--diff" in err, "--diff with --in-place is a usage error", err)
        rc, _, err = run(["fix", "--no-host"])
        tap.ok(rc == 2, "fix without FILE is a usage error", err)
        rc, out, err = run(["fix", "--no-host", "-"], stdin=b"<domain><devices>")
        tap.ok(rc == 1 and "xml-malformed" in err and out == "", "not XML: reported, nothing written", err)

        # libvirt's corpus: whatever fix changes still passes libvirt's grammar in compat form
        corpus = sorted(glob.glob(os.path.join(DATA, "corpus", "libvirt-domains", "*.xml")))
        changed = failed = 0
        detail = []
        if tap.ok(len(corpus) > 2000 and have_libvirt(), "libvirt's corpus and grammar are here",
                  (len(corpus), LIBVIRT)):
            def one(src):
                rc, d, _ = run(["fix", "--diff", "--no-host"] + lv + [src])
                if not d:
                    return None
                rc, compat, err = run(["fix", "--libvirt-compat", "--no-host"] + lv + [src])
                if rc != 0:
                    return ""  # errors fix cannot repair (libvirt's own invalid cases): nothing to prove
                path = os.path.join(tmp, os.path.basename(src) + ".compat.xml")
                with open(path, "w") as f:
                    f.write(compat)
                p = subprocess.run(["xmllint", "--noout", "--relaxng", os.path.join(LIBVIRT, "domain.rng"), path],
                                   capture_output=True)
                if p.returncode != 0:
                    return os.path.basename(src) + ": " + p.stderr.decode(errors="replace")[:300]
                return ""
            with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                for res in pool.map(one, corpus):
                    if res is None:
                        continue
                    changed += 1
                    if res:
                        failed += 1
                        detail.append(res)
            tap.ok(changed > 0 and failed == 0,
                   "corpus: %d files changed by fix, all valid for libvirt after --libvirt-compat" % changed,
                   "\n".join(detail[:20]))
    tap.done()


if __name__ == "__main__":
    main()
