#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The command line through the real binary: exit codes, formats, writing
files, and hostile input."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import BIN, SRCDIR, WRAP, Tap, run  # noqa: E402

SLOW = 20 if WRAP else 1  # valgrind runs our binary some 20x slower

SEED = os.path.join(SRCDIR, "tests", "xml-in", "seed-bcm5719.xml")
NOLV = ["--no-libvirt-schemas", "--no-host"]


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


def main():
    tap = Tap()
    seed = open(SEED).read()
    with tempfile.TemporaryDirectory() as tmp:
        # --- usage and exit codes
        rc, out, err = run([])
        tap.ok(rc == 2 and "no command" in err, "no command: exit 2 with a hint", err)
        rc, out, err = run(["frobnicate"])
        tap.ok(rc == 2 and "unknown command 'frobnicate'" in err, "unknown command: exit 2", err)
        rc, out, err = run(["--help"])
        tap.ok(rc == 0 and "validate" in out and "normalize" in out, "--help lists the commands", out)
        rc, out, err = run(["--version"])
        tap.ok(rc == 0 and out.startswith("hostdev-preflight "), "--version", out)
        rc, out, err = run(["validate", "--help"])
        tap.ok(rc == 0 and "--format" in out and "--root" in out, "validate --help lists its options", out)
        rc, out, err = run(["validate", "--bogus", SEED])
        tap.ok(rc == 2 and "Try 'hostdev-preflight validate --help'" in err, "unknown option: exit 2", err)
        rc, out, err = run(["validate"] + NOLV + ["--format", "yaml", SEED])
        tap.ok(rc == 2 and "yaml" in err, "unknown format: exit 2", err)
        rc, out, err = run(["validate", "--no-host", "--libvirt-schemas", tmp, SEED])
        tap.ok(rc == 2 and "domain.rng" in err, "--libvirt-schemas without domain.rng: exit 2", err)
        rc, out, err = run(["validate"] + NOLV)
        tap.ok(rc == 2, "validate without files: exit 2", err)

        # --- valid, invalid, unreadable; many files in one run
        bad = write(tmp, "bad.xml", seed.replace("assigned='no'", "assigned='maybe'", 1))
        rc, out, err = run(["validate"] + NOLV + [SEED])
        tap.ok(rc == 0 and out == "", "the seed validates silently", out + err)
        rc, out, err = run(["validate"] + NOLV + [SEED, bad])
        tap.ok(rc == 1 and out.startswith(bad + ":") and "[schema]" in out, "an invalid file: exit 1, file:line:col", out)
        missing = os.path.join(tmp, "missing.xml")
        rc, out, err = run(["validate"] + NOLV + [missing, SEED])
        tap.ok(rc == 2 and "missing.xml" in err, "a missing file: exit 2, the rest still checked", err)
        rc, out, err = run(["validate"] + NOLV + [tmp])
        tap.ok(rc == 2 and "directory" in err, "a directory given as a file: exit 2", err)
        unreadable = write(tmp, "unreadable.xml", seed)
        os.chmod(unreadable, 0)
        if os.geteuid() != 0:
            rc, out, err = run(["validate"] + NOLV + [unreadable])
            tap.ok(rc == 2 and "Permission denied" in err, "an unreadable file: exit 2", err)
        elif shutil.which("setpriv"):
            # root reads any file: ask as nobody
            os.chmod(tmp, 0o755)
            p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, "validate"]
                               + NOLV + [unreadable], capture_output=True, text=True)
            tap.ok(p.returncode == 2 and "Permission denied" in p.stderr, "an unreadable file (as nobody): exit 2",
                   p.stdout + p.stderr)
        else:
            tap.skip("an unreadable file: exit 2", "root reads any file and there is no setpriv")
        os.chmod(unreadable, 0o644)

        # --- stdin
        rc, out, err = run(["validate"] + NOLV + ["-"], stdin=seed.encode())
        tap.ok(rc == 0, "stdin validates", out + err)
        rc, out, err = run(["validate"] + NOLV + ["-"], stdin=seed.replace("<devices>", "<devices>\n<oops>").encode())
        tap.ok(rc == 1 and out.startswith("<stdin>:") and "[xml-malformed]" in out, "stdin: named <stdin>", out)

        # --- formats
        moved = seed.replace("function='0x1'/>\n      </source>",
                             "function='0x1'/>\n      </source>\n      <address type='pci' domain='0x0000' bus='0x01' slot='0x01' function='0x1'/>", 1)
        moved_path = write(tmp, "moved.xml", moved)
        rc, out, err = run(["validate"] + NOLV + ["--format", "json", moved_path, SEED])
        doc = json.loads(out)
        d = doc["files"][0]["diagnostics"][0]
        tap.ok(rc == 1 and doc["errors"] == 1 and d["rule"] == "unassigned-has-guest-address"
               and d["device"] == "0001:09:00.1" and doc["files"][1]["valid"] is True,
               "json: the seed with a guest address on function 1", out)
        rc, out, err = run(["validate"] + NOLV + ["--format", "sarif", moved_path])
        sarif = json.loads(out)
        tap.ok(sarif["version"] == "2.1.0" and sarif["runs"][0]["results"][0]["ruleId"] == "unassigned-has-guest-address",
               "sarif 2.1.0 with rule ids", out[:500])

        # --- werror
        octal = write(tmp, "octal.xml", seed.replace("bus='0x09' slot='0x00' function='0x3'", "bus='011' slot='0x00' function='0x3'"))
        rc, out, err = run(["validate"] + NOLV + [octal])
        tap.ok(rc == 0 and "[pci-address-octal]" in out and "octal 9" in out, "a warning alone: exit 0", out)
        rc, out, err = run(["validate"] + NOLV + ["--werror", octal])
        tap.ok(rc == 1, "--werror: a warning fails", out)

        # --- normalize: stdout, -o, --in-place
        rc, out, err = run(["normalize", "--no-libvirt-schemas", SEED])
        tap.ok(rc == 0 and out.startswith("<domain") and "managed='yes' assigned='no'" in out, "normalize to stdout", out + err)
        rc, out2, err = run(["normalize", "--no-libvirt-schemas", bad])
        tap.ok(rc == 1 and out2 == "" and "[schema]" in err, "normalize refuses an invalid file, prints no XML", err)
        dest = os.path.join(tmp, "out.xml")
        rc, _, err = run(["normalize", "--no-libvirt-schemas", "-o", dest, SEED])
        tap.ok(rc == 0 and open(dest).read() == out, "normalize -o OUT", err)
        inplace = write(tmp, "inplace.xml", seed.replace("    <hostdev", "<hostdev"))
        os.chmod(inplace, 0o640)
        ino = os.stat(inplace).st_ino
        rc, _, err = run(["normalize", "--no-libvirt-schemas", "--in-place", inplace])
        st = os.stat(inplace)
        tap.ok(rc == 0 and open(inplace).read() == out and stat.S_IMODE(st.st_mode) == 0o640,
               "--in-place rewrites the file and keeps its mode", err)
        tap.ok(st.st_ino != ino, "--in-place replaces the file by rename (atomic)", err)
        leftovers = [f for f in os.listdir(tmp) if f.startswith("inplace.xml.")]
        tap.ok(not leftovers, "--in-place leaves no temporary file", leftovers)
        before = open(bad).read()
        rc, _, err = run(["normalize", "--no-libvirt-schemas", "--in-place", bad])
        tap.ok(rc == 1 and open(bad).read() == before, "--in-place on an invalid file leaves it alone", err)
        rc, _, err = run(["normalize", "--in-place", "-o", dest, SEED])
        tap.ok(rc == 2, "-o with --in-place: exit 2", err)
        rc, _, err = run(["normalize", "--in-place", "-"], stdin=seed.encode())
        tap.ok(rc == 2, "--in-place on stdin: exit 2", err)
        rc, _, err = run(["normalize", SEED, SEED])
        tap.ok(rc == 2, "normalize takes one file", err)
        link = os.path.join(tmp, "link.xml")
        target = write(tmp, "target.xml", seed)
        os.symlink("target.xml", link)
        rc, _, err = run(["normalize", "--no-libvirt-schemas", "--in-place", link])
        tap.ok(rc == 0 and os.path.islink(link) and open(target).read() == out,
               "--in-place through a symbolic link updates its target", err)

        # --- hostile input: a diagnostic, no leak, bounded time
        secret = write(tmp, "secret.txt", "TOP-SECRET-CONTENT\n")
        hostile = {
            "xxe-file": f"<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://{secret}'>]>\n<domain><name>&x;</name></domain>",
            "xxe-net": "<!DOCTYPE domain [<!ENTITY x SYSTEM 'http://127.0.0.1:9/x'>]>\n<domain><name>&x;</name></domain>",
            "param-entity": f"<!DOCTYPE domain [<!ENTITY % p SYSTEM 'file://{secret}'> %p;]>\n<domain/>",
            "external-dtd": f"<!DOCTYPE domain SYSTEM 'file://{secret}'>\n<domain><name>x</name></domain>",
            "billion-laughs": "<!DOCTYPE d [" + "<!ENTITY a0 'xxxxxxxxxx'>" + "".join(
                f"<!ENTITY a{i} '{('&a%d;' % (i - 1)) * 10}'>" for i in range(1, 10)) + "]>\n<domain>&a9;</domain>",
            "quadratic": "<!DOCTYPE d [<!ENTITY a '" + "x" * 100000 + "'>]>\n<domain>" + "&a;" * 20000 + "</domain>",
            "truncated": seed[: len(seed) // 2],
            "deep": "<domain>" + "<a>" * 100000 + "</a>" * 100000 + "</domain>",
            "nul-byte": seed.replace("<name>", "<name>\0", 1),
            "bad-utf8": seed.encode().replace(b"<name>", b"<name>\xff\xfe", 1),
            "empty": "",
            "xinclude": "<domain xmlns:xi='http://www.w3.org/2001/XInclude'><xi:include href='" + secret + "' parse='text'/></domain>",
        }
        for name, data in hostile.items():
            path = write(tmp, name + ".xml", data)
            t0 = time.monotonic()
            rc, out, err = run(["validate", "--no-host", "--format", "json", path], timeout=30 * SLOW)
            took = time.monotonic() - t0
            leaked = "TOP-SECRET" in out or "TOP-SECRET" in err
            try:
                diags = json.loads(out)["files"][0]["diagnostics"]
            except (ValueError, IndexError, KeyError):
                diags = []
            tap.ok(rc == 1 and diags and not leaked and took < 20 * SLOW and "AddressSanitizer" not in err,
                   f"hostile {name}: exit 1 with a diagnostic, nothing leaked ({took:.1f}s)",
                   f"rc={rc} leaked={leaked}\n{out[:1500]}\n{err[:1500]}")
        # odd numbers
        odd = write(tmp, "odd.xml", seed.replace("domain='0x0001' bus='0x09' slot='0x00' function='0x3'",
                                                 "domain='0x1ffffffffffffffff' bus='-1' slot='0x20' function='8'"))
        rc, out, err = run(["validate", "--no-host", "--no-libvirt-schemas", odd])
        tap.ok(rc == 1 and out.count("[pci-address-invalid]") == 4, "odd numbers: one finding per field", out)

        # a 100 MB document: a clear answer in bounded time
        big = os.path.join(tmp, "big.xml")
        with open(big, "w") as f:
            f.write("<domain><name>big</name><description>")
            chunk = "x" * 1048576
            for _ in range(100):
                f.write(chunk)
            f.write("</description></domain>")
        t0 = time.monotonic()
        rc, out, err = run(["validate", "--no-host", "--no-libvirt-schemas", big], timeout=120 * SLOW)
        took = time.monotonic() - t0
        tap.ok(rc in (0, 1) and err == "" and took < 60 * SLOW, f"a 100 MB document: answered in {took:.1f}s", out[:500] + err[:500])
        os.unlink(big)
    tap.done()


if __name__ == "__main__":
    main()
