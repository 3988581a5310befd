#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The sh plan, run for real on copies of fake host trees (HOSTDEV_ROOT).

Nothing from a domain or a host runs as shell (a marker file that hostile
names try to create never appears); no write leaves the copy or goes
through a link; no modprobe runs on a copy; a step that fails stops
prepare, which gives back every device it touched and exits 1; every
script is shellcheck-clean. One run on the live host is safe: a modprobe
that fails is the first step, so nothing is written.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import SRCDIR, Tap, run  # noqa: E402

TESTS = os.path.join(SRCDIR, "tests")
sys.path.insert(0, os.path.join(TESTS, "hosts"))
import mkhost  # noqa: E402

SEED = open(os.path.join(TESTS, "xml-in", "seed-bcm5719.xml")).read()
BCM = open(os.path.join(TESTS, "hosts", "bcm5719.host")).read()
DEV0 = "sys/devices/pci0001:09/0001:09:00.0"


def loaded_modprobe(bindir, marker):
    """A modprobe that must not run: it leaves @marker."""
    path = os.path.join(bindir, "modprobe")
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\necho \"$@\" >> '{marker}'\nexit 1\n")
    os.chmod(path, 0o755)


class Case:
    """A host tree built from a description, a domain, and the plan for it."""

    def __init__(self, tmp, host_text, xml):
        self.tmp = tmp
        self.host = os.path.join(tmp, "host")
        desc = os.path.join(tmp, "h.host")
        with open(desc, "w") as f:
            f.write(host_text)
        mkhost.build(desc, self.host)
        self.xml = os.path.join(tmp, "vm.xml")
        with open(self.xml, "w") as f:
            f.write(xml)
        self.rc, self.script, self.err = run(["plan", "--format", "sh", "--no-libvirt-schemas", "--root", self.host,
                                              "--kernel-release", "6.12.0-hp", self.xml], cwd=tmp)
        self.sh = os.path.join(tmp, "plan.sh")
        with open(self.sh, "w") as f:
            f.write(self.script)
        self.bindir = os.path.join(tmp, "bin")
        os.makedirs(self.bindir, exist_ok=True)
        self.marker = os.path.join(tmp, "modprobe-ran")
        loaded_modprobe(self.bindir, self.marker)

    def copy(self, load=("vfio_pci",)):
        """A fresh copy of the host; @load: modules loaded in it, as modprobe would leave them."""
        root = os.path.join(self.tmp, "copy")
        if os.path.lexists(root):
            subprocess.run(["chmod", "-R", "u+w", root])
            shutil.rmtree(root)
        shutil.copytree(self.host, root, symlinks=True)
        for mod in load:
            drv = mod.replace("_", "-")
            d = os.path.join(root, "sys/bus/pci/drivers", drv)
            os.makedirs(d, exist_ok=True)
            for f in ("bind", "unbind"):
                open(os.path.join(d, f), "w").close()
            os.makedirs(os.path.join(root, "sys/module", mod, "drivers"), exist_ok=True)
            os.symlink(f"../../../bus/pci/drivers/{drv}", os.path.join(root, "sys/module", mod, "drivers", "pci:" + drv))
        return root

    def run(self, phase, root, live=False):
        env = dict(os.environ, PATH=self.bindir + ":" + os.environ["PATH"])
        if live:
            env.pop("HOSTDEV_ROOT", None)
        else:
            env["HOSTDEV_ROOT"] = root
        p = subprocess.run(["sh", self.sh, phase], env=env, capture_output=True, text=True, cwd=self.tmp, timeout=60)
        return p.returncode, p.stderr


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def lint(tap, name, script):
    p = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True)
    tap.ok(p.returncode == 0, f"{name}: sh -n accepts it", p.stderr)
    p = subprocess.run(["shellcheck", "-s", "sh", "-"], input=script, capture_output=True, text=True)
    tap.ok(p.returncode == 0, f"{name}: shellcheck accepts it", p.stdout + p.stderr)


def no_marker(tmp):
    return [os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs if "PWNED" in f]


def main():
    tap = Tap()
    if shutil.which("shellcheck") is None:
        tap.ok(False, "shellcheck is installed (tools/hp-dev installs it)")
        tap.done()

    # --- a domain name with a newline and a command substitution
    with tempfile.TemporaryDirectory() as tmp:
        c = Case(tmp, BCM, SEED.replace("<name>seed</name>", "<name>vm\n$(touch PWNED)\n`touch PWNED`</name>"))
        tap.ok(c.rc == 0, "hostile domain name: plan --format sh exits 0", c.err)
        lint(tap, "hostile domain name", c.script)
        root = c.copy()
        rc1, err1 = c.run("prepare", root)
        rc2, err2 = c.run("release", root)
        tap.ok(rc1 == 0 and rc2 == 0, "hostile domain name: prepare and release run on a copy", err1 + err2)
        tap.ok(not no_marker(tmp), "hostile domain name: nothing ran (no PWNED)", no_marker(tmp))
        header = [ln for ln in c.script.splitlines() if "touch PWNED" in ln]
        tap.ok(len(header) == 1 and header[0].startswith("# ") and "\\n" in header[0],
               "hostile domain name: only in one comment, its newlines escaped", header)

        # --- no modprobe on a copy: it says what it would load
        tap.ok(not os.path.exists(c.marker) and "would load the module vfio_pci" in err1,
               "on a copy no modprobe runs, and it says what it would load", err1)
        # --- the sh plan writes what the prepare and release steps say, vfio-pci read from the copy
        tap.ok(read(root, DEV0 + "/driver_override") == "\n" and read(root, "sys/bus/pci/drivers/tg3/bind") ==
               "0001:09:00.0\n", "release: the override cleared (it had none), tg3 bound through its bind file",
               err2)

        # --- a live host: the module cannot be loaded, which is the first step: nothing changes
        if c.script.count("hp_at=1\n\thp_modprobe 'vfio_pci'\n") == 1:
            rc, err = c.run("prepare", None, live=True)
            tap.ok(rc == 1 and "cannot load the module vfio_pci" in err and "prepare stopped at step 1" in err and
                   "every device it touched was given back" in err and "write '" not in err,
                   "live host, module cannot be loaded: exit 1 before any write", err)
        else:
            tap.ok(False, "the seed's first prepare step is modprobe vfio_pci", c.script)

        # --- usage
        rc, err = c.run("", root)
        tap.ok(rc == 2 and "usage:" in err, "no phase: exit 2 with the usage", err)

        # --- drivers_probe is a link to a file outside the copy
        outside = os.path.join(tmp, "outside")
        with open(outside, "w") as f:
            f.write("original\n")
        root = c.copy()
        os.unlink(os.path.join(root, "sys/bus/pci/drivers_probe"))
        os.symlink(outside, os.path.join(root, "sys/bus/pci/drivers_probe"))
        rc, err = c.run("prepare", root)
        tap.ok(read(tmp, "outside") == "original\n", "drivers_probe linked outside: that file is untouched", err)
        tap.ok(rc == 1 and "refusing to write /sys/bus/pci/drivers_probe on the copy: it is a link" in err,
               "drivers_probe linked outside: refused, exit 1", err)
        tap.ok("prepare stopped at step 4" in err and "every device it touched was given back" in err and
               read(root, DEV0 + "/driver_override") == "\n" and
               read(root, "sys/bus/pci/drivers/tg3/bind") == "0001:09:00.0\n",
               "drivers_probe linked outside: the device given back (override cleared, tg3 bound)", err)

        # --- a driver directory that leads out of the copy
        outdir = os.path.join(tmp, "outdir")
        os.makedirs(outdir)
        for f in ("bind", "unbind"):
            with open(os.path.join(outdir, f), "w") as fh:
                fh.write("original\n")
        root = c.copy()
        shutil.rmtree(os.path.join(root, "sys/bus/pci/drivers/tg3"))
        os.symlink(outdir, os.path.join(root, "sys/bus/pci/drivers/tg3"))
        rc, err = c.run("prepare", root)
        tap.ok(rc != 0 and "leads out of HOSTDEV_ROOT" in err and read(tmp, "outdir/unbind") == "original\n" and
               read(tmp, "outdir/bind") == "original\n",
               "a driver directory linked outside: refused, nothing written there", err)

        # --- a step that fails on the third device: the two before and its own override are given back
        root = c.copy()
        p = os.path.join(root, "sys/devices/pci0001:09/0001:09:00.2/driver_override")
        os.unlink(p)
        os.mkdir(p)
        rc, err = c.run("prepare", root)
        overrides = [read(root, f"sys/devices/pci0001:09/0001:09:00.{f}/driver_override") for f in (0, 1, 3)]
        tap.ok(rc == 1 and "prepare stopped at step 10" in err and "every device it touched was given back" in err,
               "a failing step: stops, says where, gives back, exit 1", err)
        tap.ok(overrides == ["\n", "\n", "(null)\n"] and
               err.count("write '0001:09:00.1' to /sys/bus/pci/drivers/vfio-pci/unbind") == 1 and
               err.count("write '0001:09:00.0' to /sys/bus/pci/drivers/tg3/bind") == 1 and
               err.index("0001:09:00.1' to /sys/bus/pci/drivers/tg3/bind") <
               err.index("0001:09:00.0' to /sys/bus/pci/drivers/vfio-pci/unbind") and
               "0001:09:00.3" not in err,
               "a failing step: devices given back last first; the untouched one is left alone", err)

    # --- a hostile module name in modules.alias never reaches the plan
    with tempfile.TemporaryDirectory() as tmp:
        c = Case(tmp, BCM + "alias vfio_pci:v000014E4d00001657sv*sd*bc*sc*i* x$(touch${IFS}PWNED)\n", SEED)
        tap.ok("touch" not in c.script and "PWNED" not in c.script,
               "hostile module name: not in the plan", c.script[:2000] + c.err)
        if c.rc == 0:
            lint(tap, "hostile module name", c.script)
            root = c.copy()
            rc, err = c.run("prepare", root)
            c.run("release", root)
            tap.ok(not no_marker(tmp), "hostile module name: nothing ran (no PWNED)", err)
        else:
            tap.ok(c.script == "" and not no_marker(tmp), "hostile module name: refused, no plan", c.err)

    # --- a hostile driver_override on the host: the library refuses to plan
    with tempfile.TemporaryDirectory() as tmp:
        c = Case(tmp, BCM + f"file {DEV0}/driver_override 'x$(touch${{IFS}}PWNED)\\n'\n", SEED)
        tap.ok(c.rc == 1 and c.script == "" and "driver_override holds" in c.err and "no plan" in c.err,
               "hostile driver_override: no plan, exit 1, said", c.err)

    # --- an override the device had is written back by release
    with tempfile.TemporaryDirectory() as tmp:
        c = Case(tmp, BCM + f"file {DEV0}/driver_override 'tg3\\n'\n", SEED)
        tap.ok(c.rc == 0 and "hp_set_override '0001:09:00.0' \"$hp_driver_1\" 'tg3'" in c.script and
               "hp_restore_override '0001:09:00.0' 'tg3'" in c.script,
               "an override it had: recorded and written back", c.script[-3000:] + c.err)
        root = c.copy()
        rc1, err1 = c.run("prepare", root)
        rc2, err2 = c.run("release", root)
        tap.ok(rc1 == 0 and rc2 == 0 and read(root, DEV0 + "/driver_override") == "tg3\n",
               "an override it had: back in the file after release", err1 + err2)

    tap.done()


if __name__ == "__main__":
    main()
