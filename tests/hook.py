#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The libvirt hook run exactly as libvirt runs it: the installed script
(hooks/qemu.d/hostdev-preflight.in, with this build's binary), argv NAME OP
SUBOP EXTRA, the domain XML on stdin, libvirt's environment (LC_ALL=C, a
minimal PATH, HOME/USER/LOGNAME), cwd /, for every operation libvirt has.
The host is a fake tree (tests/hosts/bcm5719.host) through the CLI's
HOSTDEV_PREFLIGHT_DEFAULT_ROOT stand-in for '/', the configuration a file
of the test's (HOSTDEV_PREFLIGHT_HOOK_CONF). tests/hook-libvirt.py runs it
under a real libvirt daemon; tests/vm/scenarios/hook.scn on a real kernel.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import BIN, SRCDIR, WRAP, Tap, run  # noqa: E402

MKHOST = os.path.join(SRCDIR, "tests", "hosts", "mkhost.py")
SCRIPT_IN = os.path.join(SRCDIR, "hooks", "qemu.d", "hostdev-preflight.in")
EXAMPLES = os.path.join(SRCDIR, "examples")
# what libvirt passes its hooks (virCommandAddEnvPassCommon): nothing else
LIBVIRT_ENV = {"LC_ALL": "C", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": "/root", "USER": "root", "LOGNAME": "root"}
# every qemu operation libvirt has, with the subop it sends
OPS = [("prepare", "begin"), ("start", "begin"), ("started", "begin"), ("stopped", "end"), ("release", "end"),
       ("migrate", "begin"), ("restore", "begin"), ("reconnect", "begin"), ("attach", "begin")]


class Hook:
    def __init__(self, tmp, bound_to=None):
        self.tmp = tmp
        self.host = os.path.join(tmp, "host")
        desc = os.path.join(tmp, "host.desc")
        os.makedirs(tmp, exist_ok=True)
        with open(os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host")) as f, open(desc, "w") as g:
            # modules.alias for the release the hook finds with uname
            text = f.read()
            if bound_to:
                text = f"driver {bound_to} module={bound_to.replace('-', '_')}\n" + text.replace("driver=tg3", f"driver={bound_to}")
            g.write(f"release {os.uname().release}\n" + text)
        subprocess.run([sys.executable, MKHOST, desc, self.host], check=True)
        # the installed script, naming this build's binary (behind valgrind
        # in the valgrind setup: a wrapper of the same name)
        bindir = os.path.dirname(os.path.abspath(BIN))
        if WRAP:
            bindir = os.path.join(tmp, "bin")
            os.makedirs(bindir)
            with open(os.path.join(bindir, "hostdev-preflight"), "w") as f:
                f.write("#!/bin/sh\nexec " + " ".join(WRAP) + f" '{os.path.abspath(BIN)}' \"$@\"\n")
            os.chmod(os.path.join(bindir, "hostdev-preflight"), 0o755)
        self.script = os.path.join(tmp, "qemu.d", "hostdev-preflight")
        os.makedirs(os.path.dirname(self.script))
        with open(SCRIPT_IN) as f, open(self.script, "w") as g:
            g.write(f.read().replace("@bindir@", bindir))
        os.chmod(self.script, 0o755)
        self.conf = os.path.join(tmp, "hook.conf")
        self.state = os.path.join(tmp, "state")

    def config(self, text):
        with open(self.conf, "w") as f:
            f.write(f"[hook]\nstate_dir={self.state}\n" + text)

    def __call__(self, name, op, subop, xml, extra="-", stdin=None, timeout=60):
        env = dict(LIBVIRT_ENV, HOSTDEV_PREFLIGHT_DEFAULT_ROOT=self.host, HOSTDEV_PREFLIGHT_HOOK_CONF=self.conf)
        t0 = time.monotonic()
        p = subprocess.run([self.script, name, op, subop, extra], input=xml.encode() if stdin is None else None,
                           stdin=stdin, capture_output=True, cwd="/", env=env, timeout=timeout * (10 if WRAP else 1))
        self.took = time.monotonic() - t0
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def example(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return f.read()


def libvirt_form(xml):
    """The domain as libvirt hands it to a hook: libvirt's spelling of an
    unassigned function, no assigned= (the tool's normalize --libvirt-compat)."""
    rc, out, err = run(["normalize", "--libvirt-compat", "--no-libvirt-schemas", "-"], stdin=xml.encode())
    assert rc == 0, err
    return out


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory(prefix="hp-hook-") as tmp:
        h = Hook(tmp)
        h.config("")
        good = libvirt_form(example("vm.xml"))
        bad = libvirt_form(example("vm-incomplete.xml"))
        unmanaged = good.replace("managed='yes'", "managed='no'")
        tap.ok("type='unassigned'" in good and "assigned=" not in good.replace("unassigned", ""),
               "the domains are in libvirt's own form (<address type='unassigned'/>)", good)
        plain = ("<domain type='kvm'>\n  <name>plain</name>\n  <memory>1048576</memory>\n"
                 "  <os><type>hvm</type></os>\n  <devices><disk type='file' device='disk'/></devices>\n</domain>\n")

        p = subprocess.run(["shellcheck", "-s", "sh", h.script], capture_output=True, text=True)
        with open(h.script) as f:
            body = [l for l in f if l.strip() and not l.startswith("#")]
        tap.ok(p.returncode == 0 and len(body) == 1 and body[0].startswith("exec ") and '"$@"' in body[0],
               "the hook script: POSIX sh that shellcheck accepts, one exec of the binary with libvirt's arguments",
               p.stdout + "".join(body))

        # prepare begin
        rc, out, err = h("seed", "prepare", "begin", good)
        tap.ok(rc == 0 and out == "" and "4 PCI host devices checked, no errors" in err
               and "none is managed='no'" in err,
               "prepare begin: a domain that passes: exit 0, nothing on stdout, what it did on stderr", err)
        rc, out, err = h("seed", "prepare", "begin", bad)
        lines = err.splitlines()
        tap.ok(rc == 1 and out == ""
               and any(re.match(r"^domain seed:\d+:\d+: error: .*0001:09:00\.2.*\[multifunction-incomplete\]$", l)
                       for l in lines)
               and "hook seed prepare begin: refused" in lines[-1] and h.conf in lines[-1],
               "prepare begin: a domain that fails: exit 1, the findings (FILE:LINE:COL) and the refusal on stderr", err)
        rc, out, err = h("plain", "prepare", "begin", plain)
        tap.ok(rc == 0 and out == "" and err == "" and not os.path.exists(h.state),
               "prepare begin: a domain with no PCI host device is untouched (exit 0, not a word, no state)", err)
        took = h.took
        print(f"# prepare begin on a domain with no PCI host device: {took * 1000:.1f} ms")
        rc, out, err = h("seed", "prepare", "begin", unmanaged)
        # apply=false below: here the devices are judged as the hook will prepare them
        tap.ok("[managed-no-not-bound]" not in err,
               "prepare begin: managed='no' devices not yet on VFIO are the hook's job, no managed-no-not-bound", err)
        # the apply engine on the fake tree: it writes the override, and the
        # unbind (a plain file here, no kernel) leaves the device on tg3: the
        # hook refuses and everything is put back
        override = os.path.join(h.host, "sys", "bus", "pci", "devices", "0001:09:00.0", "driver_override")
        before = open(override).read() if os.path.exists(override) else None
        tap.ok(rc == 1 and "could not be bound to their VFIO driver" in err and "the host is as it was" in err
               and "tg3" in err and out == "",
               "prepare begin, managed='no' on tg3: bound as apply binds; a failed binding refuses the start, undone",
               err)
        after = open(override).read() if os.path.exists(override) else None
        tap.ok(before == after, "prepare begin: the failed binding left driver_override as it was", f"{before!r} {after!r}")
        vfio = Hook(os.path.join(tmp, "vfio"), bound_to="vfio-pci")
        vfio.config("")
        rc, out, err = vfio("seed", "prepare", "begin", unmanaged)
        tap.ok(rc == 0 and "[managed-no-not-bound]" not in err and "4 managed='no' devices on their VFIO driver" in err,
               "prepare begin, managed='no' already on vfio-pci: nothing to bind, exit 0", err)
        rc, out, err = vfio("seed", "release", "end", unmanaged)
        tap.ok(rc == 0 and out == "" and "nothing to release" in err, "release end after it: no journal, exit 0", err)
        h.config("apply=false\n")
        rc, out, err = h("seed", "prepare", "begin", unmanaged)
        tap.ok(rc == 1 and err.count("[managed-no-not-bound]") == 4 and "refused" in err,
               "prepare begin, apply=false: check only, managed='no' devices on tg3 are managed-no-not-bound", err)
        rc, out, err = h("seed", "prepare", "begin", good)
        tap.ok(rc == 0, "prepare begin, apply=false: a managed domain that passes still passes", err)
        hostile = ("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x 'y'>]>\n" + good.split("\n", 1)[1]
                   if good.startswith("<?xml") else "<!DOCTYPE domain [<!ENTITY x 'y'>]>\n" + good)
        rc, out, err = h("seed", "prepare", "begin", hostile)
        tap.ok(rc == 1 and "[xml-malformed]" in err and out == "",
               "prepare begin: a document the tool refuses (a DTD) refuses the start", err)

        # a host with no PCI sysfs (a container): a domain with PCI host devices cannot start there
        nopci = Hook(os.path.join(tmp, "nopci"))
        nopci.config("")
        nopci.host = os.path.join(tmp, "nopci", "empty")
        os.makedirs(nopci.host)
        rc, out, err = nopci("seed", "prepare", "begin", good)
        tap.ok(rc == 1 and "this host cannot be checked" in err and "sys/bus/pci/devices" in err,
               "prepare begin on a host with no PCI sysfs: refused, saying why", err)
        rc, out, err = nopci("plain", "prepare", "begin", plain)
        tap.ok(rc == 0 and err == "", "... and a domain without PCI host devices still starts there", err)

        # every other operation, with the failing domain: never a failure, never stdout
        h.config("")
        for op, subop in OPS:
            if op == "prepare":
                continue
            rc, out, err = h("seed", op, subop, bad)
            tap.ok(rc == 0 and out == "", f"{op} {subop}: exit 0 and nothing on stdout, even for a failing domain",
                   f"exit {rc}\nstdout {out!r}\n{err}")
            if op in ("migrate", "restore", "start", "started", "stopped", "attach"):
                tap.ok(err == "", f"{op} {subop}: not a word (nothing to do)", err)
        rc, out, err = h("seed", "reconnect", "begin", bad)
        tap.ok(rc == 0 and "[multifunction-incomplete]" in err and "checked only" in err,
               "reconnect begin: the findings on stderr, exit 0 (the domain runs)", err)
        rc, out, err = h("seed", "release", "end", bad)
        tap.ok(rc == 0 and out == "", "release end with no journal: exit 0", err)
        rc, out, err = h("seed", "prepare", "end", bad)
        tap.ok(rc == 0 and err == "", "an operation libvirt does not send (prepare end): exit 0, untouched", err)

        # the configuration
        h.config("enabled=false\n")
        rc, out, err = h("seed", "prepare", "begin", bad)
        tap.ok(rc == 0 and "enabled=false" in err and "[multifunction-incomplete]" not in err,
               "enabled=false: prepare does not check (and says so)", err)
        allun = re.sub(r"\n\s*<address type='pci'[^>]*/>", "",
                       example("vm.xml").replace("managed='yes'>", "managed='yes' assigned='no'>"))
        allun = libvirt_form(allun)
        h.config("")
        rc, out, err = h("seed", "prepare", "begin", allun)
        tap.ok(rc == 0 and "[all-functions-unassigned]" in err, "a warning alone lets the start go on", err)
        h.config("werror=true\n")
        rc, out, err = h("seed", "prepare", "begin", allun)
        tap.ok(rc == 1 and "[all-functions-unassigned]" in err and "werror=false" in err,
               "werror=true: a warning refuses the start", err)
        h.config("werror=true\nignore=all-functions-unassigned\n")
        rc, out, err = h("seed", "prepare", "begin", allun)
        tap.ok(rc == 0 and "[all-functions-unassigned]" not in err, "ignore=RULE drops its findings", err)
        h.config("ignore=multifunction-incomplete; iommu-missing\n")
        rc, out, err = h("seed", "prepare", "begin", bad)
        tap.ok(rc == 0 and "[multifunction-incomplete]" not in err, "ignore= takes a list; an error rule too", err)
        for text, what, says in [("ignore=multifunction-incompete\n", "a rule id that does not exist",
                                  "'multifunction-incompete', which is no rule id"),
                                 ("aply=false\n", "an unknown key", "unknown key 'aply'"),
                                 ("apply=maybe\n", "a value of the wrong type", "apply must be true or false"),
                                 ("timeout=0\n", "a timeout out of range", "timeout must be"),
                                 ("state_dir=run\n", "a relative state_dir", "state_dir must be an absolute path"),
                                 ("[hook\n", "not a key file", h.conf)]:
            with open(h.conf, "w") as f:
                f.write("[hook]\n" + text)
            rc, out, err = h("seed", "prepare", "begin", good)
            tap.ok(rc == 1 and says in err and h.conf in err and "refused" in err,
                   f"configuration with {what}: prepare refuses, naming the file and the mistake", err)
            rc2, out2, err2 = h("seed", "release", "end", good)
            rc3, out3, err3 = h("plain", "prepare", "begin", plain)
            tap.ok(rc2 == 0 and rc3 == 0 and err3 == "",
                   f"configuration with {what}: release still exits 0, a domain without devices is untouched",
                   err2 + err3)
        os.unlink(h.conf)
        rc, out, err = h("seed", "prepare", "begin", bad)
        tap.ok(rc == 1 and "[multifunction-incomplete]" in err, "no configuration file: the defaults (it checks)", err)

        # bounded time: a caller that never closes stdin
        h.config("timeout=1\n")
        for op, subop, want in [("prepare", "begin", 1), ("release", "end", 0), ("migrate", "begin", 0)]:
            env = dict(LIBVIRT_ENV, HOSTDEV_PREFLIGHT_DEFAULT_ROOT=h.host, HOSTDEV_PREFLIGHT_HOOK_CONF=h.conf)
            t0 = time.monotonic()
            p = subprocess.Popen([h.script, "seed", op, subop, "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, cwd="/", env=env)
            p.stdin.write(good[:100].encode())
            p.stdin.flush()
            try:
                p.wait(timeout=30 * (10 if WRAP else 1))  # stdin stays open
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            took = time.monotonic() - t0
            p.stdin.close()
            out, err = p.stdout.read(), p.stderr.read()
            tap.ok(p.returncode == want and b"timed out after 1 s" in err and out == b"",
                   f"{op} {subop} with stdin never closed: ends after the timeout (exit {want}), saying so",
                   f"exit {p.returncode} after {took:.1f} s\n{err.decode()}")

        # usage, as a wrong installation would call it
        rc, out, err = run(["hook", "qemu", "seed", "prepare", "begin"])
        tap.ok(rc == 2 and "5 arguments" in err, "hook with 4 arguments: usage error (exit 2)", err)
        rc, out, err = run(["hook", "lxc", "seed", "prepare", "begin", "-"], stdin=b"")
        tap.ok(rc == 2 and "'qemu'" in err, "hook for another driver: usage error (exit 2)", err)
        rc, out, err = run(["hook", "--state-dir", "rel", "qemu", "seed", "prepare", "begin", "-"], stdin=b"")
        tap.ok(rc == 2 and "--state-dir" in err, "hook --state-dir takes an absolute path", err)
        rc, out, err = run(["hook", "qemu", "--odd-name", "prepare", "begin", "-"], stdin=plain.encode(),
                           env={"HOSTDEV_PREFLIGHT_HOOK_CONF": h.conf})
        tap.ok(rc == 0, "a domain name beginning with '-' is a name, not an option", err)
        rc, out, err = run(["hook", "--help"])
        tap.ok(rc == 0 and "qemu NAME OP SUBOP EXTRA" in out and "--state-dir" in out, "hook --help", out + err)
        # the name is escaped where it is echoed
        rc, out, err = h("a\x1bb", "prepare", "begin", bad.replace("<name>seed</name>", "<name>a\x1bb</name>"))
        tap.ok(rc == 1 and "\x1b" not in err and "a\\x1bb" in err, "the domain's name is escaped in messages",
               repr(err[-300:]))
    tap.done()


if __name__ == "__main__":
    main()
