#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The sh plan against hostile input (SPEC sections 7 and 8): nothing from
a domain or a host reaches the shell, and on a copy of a host's tree
(HOSTDEV_ROOT) nothing is written outside it or through a link."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import SRCDIR, Tap, run  # noqa: E402
import mkhost  # noqa: E402

REL = "6.12.0-hp"
SEED = os.path.join(SRCDIR, "tests", "xml-in", "seed-bcm5719.xml")
NOLV = ["--no-libvirt-schemas"]


def host(tmp, name):
    root = os.path.join(tmp, name)
    mkhost.build(os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host"), root)
    return root


def plan_sh(root, xml_path):
    return run(["plan", "--format", "sh", "--root", root, "--kernel-release", REL] + NOLV + [xml_path])


def run_on_copy(root, script, phase, cwd):
    path = os.path.join(cwd, "plan.sh")
    with open(path, "w") as f:
        f.write(script)
    env = dict(os.environ, HOSTDEV_ROOT=root)
    return subprocess.run(["sh", path, phase], env=env, cwd=cwd, capture_output=True, text=True)


def shellcheck(script, cwd):
    path = os.path.join(cwd, "check.sh")
    with open(path, "w") as f:
        f.write(script)
    return subprocess.run(["shellcheck", "-s", "sh", path], capture_output=True, text=True)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        marker = os.path.join(tmp, "PWNED")
        work = os.path.join(tmp, "work")
        os.makedirs(work)

        # a module name that is a command: host-file-malformed, never planned
        root = host(tmp, "alias")
        alias = os.path.join(root, "lib", "modules", REL, "modules.alias")
        with open(alias, "a") as f:
            f.write("alias vfio_pci:v000014E4d00001657sv*sd*bc*sc*i* x$(touch${IFS}%s)\n" % marker)
        rc, out, err = run(["validate", "--format", "json", "--root", root, "--kernel-release", REL] + NOLV + [SEED])
        tap.ok('"host-file-malformed"' in out, "a module name that is a command: host-file-malformed", out + err)
        rc, script, err = plan_sh(root, SEED)
        tap.ok(rc == 0 and "touch${IFS}" not in script and "PWNED" not in script,
               "the sh plan never carries it (it plans the generic vfio_pci)", script[-2000:] + err)
        p = shellcheck(script, work)
        tap.ok(p.returncode == 0, "shellcheck accepts that plan", p.stdout)
        for phase in ("prepare", "release"):
            p = run_on_copy(root, script, phase, work)
            tap.ok(p.returncode == 0 and not os.path.exists(marker),
                   f"{phase} on a copy: no marker file, exit 0", p.stderr)

        # a domain name with a newline, $(...) and backticks: one comment line
        root = host(tmp, "name")
        seed = open(SEED).read()
        evil = seed.replace("<name>seed</name>",
                            "<name>x&#10;touch %s; `touch %s` $(touch %s)</name>" % (marker, marker, marker))
        evil_path = os.path.join(work, "evil.xml")
        with open(evil_path, "w") as f:
            f.write(evil)
        rc, script, err = plan_sh(root, evil_path)
        header = [line for line in script.splitlines() if "libvirt domain" in line]
        tap.ok(rc == 0 and len(header) == 1 and header[0].startswith("#") and "\\n" in header[0],
               "a domain name with a newline stays in one escaped comment line", "\n".join(script.splitlines()[:4]) + err)
        p = shellcheck(script, work)
        tap.ok(p.returncode == 0, "shellcheck accepts that plan", p.stdout)
        p = run_on_copy(root, script, "prepare", work)
        tap.ok(p.returncode == 0 and not os.path.exists(marker), "prepare on a copy: no marker file", p.stderr)

        # a driver_override a kernel never writes: no plan
        root = host(tmp, "override")
        dev = os.path.realpath(os.path.join(root, "sys", "bus", "pci", "devices", "0001:09:00.1"))
        with open(os.path.join(dev, "driver_override"), "w") as f:
            f.write("x$(touch %s)\n" % marker)
        rc, script, err = plan_sh(root, SEED)
        tap.ok(rc == 1 and script == "" and "not a kernel driver or module name" in err,
               "a driver_override that is no driver name: the plan is refused", err)

        # on a copy, a drivers_probe that is a link to a file outside: refused, untouched
        root = host(tmp, "link")
        outside = os.path.join(tmp, "outside-file")
        with open(outside, "w") as f:
            f.write("untouched\n")
        probe = os.path.join(root, "sys", "bus", "pci", "drivers_probe")
        if os.path.exists(probe) or os.path.islink(probe):
            os.unlink(probe)
        os.symlink(outside, probe)
        rc, script, err = plan_sh(root, SEED)
        p = run_on_copy(root, script, "prepare", work)
        tap.ok(p.returncode != 0 and open(outside).read() == "untouched\n" and "link" in p.stderr,
               "a drivers_probe link out of the copy: refused, the file outside untouched", p.stderr)
        tap.ok("giving back every device it touched" in p.stderr,
               "and the failed prepare gives back what it had done", p.stderr)
        # a regular file inside the copy that is a link to another file inside: also never written through
        os.unlink(probe)
        inside = os.path.join(root, "elsewhere")
        open(inside, "w").close()
        os.symlink(inside, probe)
        p = run_on_copy(root, script, "prepare", work)
        tap.ok(p.returncode != 0 and os.path.getsize(inside) == 0, "a link inside the copy is not written through either",
               p.stderr)
    tap.done()


if __name__ == "__main__":
    main()
