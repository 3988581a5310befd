#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden tests: tests/xml-in/NAME.xml -> tests/xml-out/NAME.*

For each case, through the real binary:
  NAME.diag        what `validate` prints, then the exit status
  NAME.xml         `normalize` output (valid cases only)
  NAME.compat.xml  `normalize --libvirt-compat` output (valid cases only)
Extra arguments for a case go one per line in xml-in/NAME.args; {hosts}/H
there is the tree built from tests/hosts/H.host, and a case without
--root runs with --no-host. Every normalized output must validate again and normalize
to itself. HP_REGENERATE=1 rewrites the expected files; review the diff.
"""
import difflib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import SRCDIR, LIBVIRT, Tap, have_libvirt, run  # noqa: E402

TESTS = os.path.join(SRCDIR, "tests")
REGEN = os.environ.get("HP_REGENERATE") == "1"


def canon(text):
    """The document's canonical form, white space between elements aside."""
    return ET.canonicalize(text, strip_text=True)


def expect(tap, name, path, got):
    if REGEN:
        with open(path, "w") as f:
            f.write(got)
        tap.ok(True, f"{name}: regenerated {os.path.relpath(path, TESTS)}")
        return
    try:
        want = open(path).read()
    except FileNotFoundError:
        tap.ok(False, f"{name}: {os.path.relpath(path, TESTS)}", "missing; run with HP_REGENERATE=1 and review")
        return
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "expected", "got"))
    tap.ok(got == want, f"{name}: {os.path.relpath(path, TESTS)}", diff)


def main():
    tap = Tap()
    if not have_libvirt():
        tap.skip("golden", f"libvirt's grammar is not in {LIBVIRT} (Debian: libvirt0)")
        tap.done()
    schema = ["--libvirt-schemas", LIBVIRT]
    hosts_tmp = tempfile.TemporaryDirectory()
    hosts = hosts_tmp.name
    sys.path.insert(0, os.path.join(TESTS, "hosts"))
    import mkhost
    for desc in sorted(glob.glob(os.path.join(TESTS, "hosts", "*.host"))):
        mkhost.build(desc, os.path.join(hosts, os.path.basename(desc)[:-5]))
    env = {"HOSTDEV_PREFLIGHT_PCI_IDS": os.path.join(TESTS, "hosts", "pci.ids")}
    for src in sorted(glob.glob(os.path.join(TESTS, "xml-in", "*.xml"))):
        name = os.path.basename(src)[:-4]
        rel = os.path.relpath(src, TESTS)
        args_file = src[:-4] + ".args"
        extra = []
        if os.path.exists(args_file):
            extra = [a.replace("{hosts}", hosts) for a in open(args_file).read().splitlines()
                     if a and not a.startswith("#")]
        if "--root" in extra:
            extra += ["--kernel-release", "6.12.0-hp"]
        else:
            extra.append("--no-host")
        out_base = os.path.join(TESTS, "xml-out", name)

        rc, out, err = run(["validate"] + schema + extra + [rel], cwd=TESTS, env=env)
        expect(tap, name, out_base + ".diag", out.replace(hosts, "{hosts}") + f"exit: {rc}\n")
        tap.ok(err == "", f"{name}: validate writes nothing on stderr", err)
        if rc != 0:
            for suffix in (".xml", ".compat.xml"):
                if os.path.exists(out_base + suffix) and REGEN:
                    os.unlink(out_base + suffix)
            continue
        for suffix, flags in ((".xml", []), (".compat.xml", ["--libvirt-compat"])):
            rc, norm, err = run(["normalize"] + schema + flags + [rel], cwd=TESTS, env=env)
            tap.ok(rc == 0, f"{name}: normalize {' '.join(flags)} exits 0", err)
            expect(tap, name, out_base + suffix, norm)
            rc, again, err = run(["normalize"] + schema + flags + ["-"], stdin=norm.encode(), cwd=TESTS)
            tap.ok(rc == 0 and again == norm, f"{name}: normalize {' '.join(flags)} is idempotent",
                   "".join(difflib.unified_diff(norm.splitlines(True), again.splitlines(True))) + err)
            rc, vout, err = run(["validate"] + schema + extra + ["-"], stdin=norm.encode(), cwd=TESTS, env=env)
            tap.ok(rc == 0, f"{name}: normalized {' '.join(flags)} output validates", vout + err)
            # the stylesheet on its own gives the same tree
            if shutil.which("xsltproc"):
                cmd = ["xsltproc"] + (["--stringparam", "libvirt-compat", "yes"] if flags else []) + [
                    os.path.join(SRCDIR, "schemas", "normalize.xsl"), src]
                p = subprocess.run(cmd, capture_output=True, text=True)
                same = p.returncode == 0 and canon(p.stdout) == canon(norm)
                tap.ok(same, f"{name}: xsltproc {' '.join(flags)} gives the same tree", p.stdout + p.stderr)
    tap.done()


if __name__ == "__main__":
    main()
