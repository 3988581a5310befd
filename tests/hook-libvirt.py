#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The hook under a real libvirt: Debian's libvirtd (libvirt-daemon-system,
libvirt-daemon-driver-qemu), started by this test, runs the hook script
for `virsh start`.

libvirt reads hooks only from its SYSCONFDIR (/etc/libvirt/hooks/qemu.d/,
for the system daemon; a session daemon has no hooks directory of its own),
so on this disposable machine the test puts a script there for its run and
removes it afterwards, under the lock the package test holds while the
.deb (which installs the real hook there) is installed. The daemon is the
test's own: its sockets in a temporary directory, started after the hook
is in place (libvirt looks for hooks when it starts), stopped at the end.
The script libvirt runs is the installed one (hooks/qemu.d/...in with this
build's binary), behind a small wrapper that gives it a fake host tree (the
CLI's HOSTDEV_PREFLIGHT_DEFAULT_ROOT; libvirt passes no variables of ours)
and records each call.

- a domain whose devices fail our checks: `virsh start` is refused with
  our finding in libvirt's error;
- a domain that passes: the hook lets it go (exit 0 at prepare begin); the
  start then fails later, for the devices are not on this machine: the
  error must not be the hook's;
- a domain with no host devices: the hook is called and leaves it alone
  (exit 0, not a word);
- libvirt calls release end after each, and the hook exits 0.

Needs root; a missing daemon or virsh is a failure, never a skip.
"""
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import BIN, SRCDIR, Tap  # noqa: E402

MKHOST = os.path.join(SRCDIR, "tests", "hosts", "mkhost.py")
SCRIPT_IN = os.path.join(SRCDIR, "hooks", "qemu.d", "hostdev-preflight.in")
HOOKS_DIR = "/etc/libvirt/hooks/qemu.d"
HOOK = os.path.join(HOOKS_DIR, "zz-hostdev-preflight-test")
LIBVIRTD = "/usr/sbin/libvirtd"
VIRTLOGD = "/usr/sbin/virtlogd"
LOCK = "/run/lock/hostdev-preflight-package.lock"
PREFIX = "hp-hook-test-"

HOSTDEV = ("    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
           "      <source><address domain='0x0001' bus='0x09' slot='0x00' function='0x{f}'/></source>\n"
           "{extra}    </hostdev>\n")


def domain(name, functions=(), unassigned=()):
    devs = "".join(HOSTDEV.format(f=f, extra="      <address type='unassigned'/>\n" if f in unassigned else "")
                   for f in functions)
    return (f"<domain type='qemu'>\n  <name>{name}</name>\n  <memory unit='MiB'>64</memory>\n"
            "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
            f"  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n{devs}"
            "  </devices>\n</domain>\n")


def sh(args, timeout=120, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    return p.returncode, p.stdout + p.stderr


class Daemon:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "sock")
        os.makedirs(self.sock)
        self.conf = os.path.join(tmp, "libvirtd.conf")
        with open(self.conf, "w") as f:
            f.write(f'unix_sock_dir = "{self.sock}"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    f'log_outputs = "3:file:{tmp}/libvirtd.log"\n')
        self.uri = f"qemu:///system?socket={self.sock}/libvirt-sock"
        self.procs = []

    def start(self):
        # the QEMU driver logs through virtlogd; without systemd nothing starts it
        if not os.path.exists("/run/libvirt/virtlogd-sock"):
            self.procs.append(subprocess.Popen([VIRTLOGD, "--pid-file", os.path.join(self.tmp, "virtlogd.pid")],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.out = open(os.path.join(self.tmp, "libvirtd.out"), "w")
        self.procs.append(subprocess.Popen([LIBVIRTD, "--config", self.conf, "--pid-file",
                                            os.path.join(self.tmp, "libvirtd.pid")],
                                           stdout=self.out, stderr=subprocess.STDOUT))
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.procs[-1].poll() is not None:
                return False
            rc, out = self.virsh("version")
            if rc == 0:
                return True
            time.sleep(0.5)
        return False

    def virsh(self, *args, timeout=180):
        try:
            return sh(["virsh", "-q", "-c", self.uri] + list(args), timeout=timeout)
        except subprocess.TimeoutExpired:
            return 124, f"virsh {' '.join(args)}: no answer in {timeout} s"

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.out.close()

    def log(self):
        try:
            with open(os.path.join(self.tmp, "libvirtd.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""


def install_hook(tmp):
    """The installed script with this build's binary, and the wrapper that
    libvirt runs: it gives the script a fake host and records each call."""
    desc = os.path.join(tmp, "host.desc")
    with open(os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host")) as f, open(desc, "w") as g:
        g.write(f"release {os.uname().release}\n" + f.read())
    host = os.path.join(tmp, "host")
    subprocess.run([sys.executable, MKHOST, desc, host], check=True)
    script = os.path.join(tmp, "hostdev-preflight-hook")
    with open(SCRIPT_IN) as f, open(script, "w") as g:
        g.write(f.read().replace("@bindir@", os.path.dirname(os.path.abspath(BIN))))
    os.chmod(script, 0o755)
    conf = os.path.join(tmp, "hook.conf")
    with open(conf, "w") as f:
        f.write(f"[hook]\nstate_dir={tmp}/state\ntimeout=30\n")
    calls = os.path.join(tmp, "calls")
    os.makedirs(calls)
    os.makedirs(HOOKS_DIR, exist_ok=True)
    with open(HOOK, "w") as f:
        f.write("#!/bin/sh\n# tests/hook-libvirt.py: removed when the test ends\n"
                f"HOSTDEV_PREFLIGHT_DEFAULT_ROOT='{host}' HOSTDEV_PREFLIGHT_HOOK_CONF='{conf}'\n"
                "export HOSTDEV_PREFLIGHT_DEFAULT_ROOT HOSTDEV_PREFLIGHT_HOOK_CONF\n"
                f"n=$(date +%s%N); '{script}' \"$@\" 2>'{calls}'/$n.err; rc=$?\n"
                f"printf '%s %s %s %s\\n' \"$1\" \"$2\" \"$3\" $rc > '{calls}'/$n.call\n"
                f"cat '{calls}'/$n.err >&2\nexit $rc\n")
    os.chmod(HOOK, 0o755)
    return calls


def hook_calls(calls, name):
    """[(op, subop, exit, stderr)] of the hook's calls for NAME, in order."""
    out = []
    for f in sorted(os.listdir(calls)):
        if not f.endswith(".call"):
            continue
        with open(os.path.join(calls, f)) as c:
            words = c.read().split()
        with open(os.path.join(calls, f[:-5] + ".err")) as e:
            err = e.read()
        if words and words[0] == name:
            out.append((words[1], words[2], int(words[3]), err))
    return out


def main():
    tap = Tap()
    if not tap.ok(os.geteuid() == 0, "the test runs as root (it starts the system libvirt daemon)",
                  "run the suite as root on a disposable machine, as CI does"):
        tap.done()
    for prog in (LIBVIRTD, VIRTLOGD, shutil.which("virsh") or "virsh", "/usr/bin/qemu-system-x86_64"):
        if not tap.ok(os.path.exists(prog), f"{prog} is installed",
                      "apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86 "
                      "(tools/hp-dev installs them)"):
            tap.done()
    with tempfile.TemporaryDirectory(prefix="hp-hook-libvirt-") as tmp, open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        others = [f for f in os.listdir(HOOKS_DIR)] if os.path.isdir(HOOKS_DIR) else []
        tap.ok(not others, f"no other hook in {HOOKS_DIR} (they would run too)", others)
        daemon = Daemon(tmp)
        calls = install_hook(tmp)
        names = []
        try:
            if not tap.ok(daemon.start(), "libvirtd starts, with its sockets in the test's directory",
                          open(os.path.join(tmp, "libvirtd.out")).read() + daemon.log()):
                return tap.done()
            cases = {
                "fails": domain(PREFIX + "fails", functions=(0, 3)),
                "passes": domain(PREFIX + "passes", functions=(0, 1, 2, 3), unassigned=(1, 2)),
                "plain": domain(PREFIX + "plain"),
            }
            for key, xml in cases.items():
                name = PREFIX + key
                path = os.path.join(tmp, key + ".xml")
                with open(path, "w") as f:
                    f.write(xml)
                daemon.virsh("destroy", name)
                daemon.virsh("undefine", name)
                rc, out = daemon.virsh("define", path)
                names.append(name)
                tap.ok(rc == 0, f"virsh define {name}", out)

            # fails: two functions of the four of a multifunction device
            rc, out = daemon.virsh("start", PREFIX + "fails")
            got = hook_calls(calls, PREFIX + "fails")
            tap.ok(rc != 0 and "[multifunction-incomplete]" in out and "0001:09:00.1" in out
                   and "refused" in out,
                   "virsh start of a domain that fails our checks: refused, our finding in libvirt's error", out)
            tap.ok(got[:1] and got[0][:3] == ("prepare", "begin", 1),
                   "the hook refused it at prepare begin (exit 1)", got)
            tap.ok(("release", "end", 0) in [c[:3] for c in got],
                   "libvirt then called release end, and the hook exited 0", got)
            print("# virsh start, refused: " + " | ".join(out.strip().splitlines()))

            # passes: the hook lets it go; the devices are not on this machine,
            # so libvirt fails later, with an error of its own
            rc, out = daemon.virsh("start", PREFIX + "passes")
            got = hook_calls(calls, PREFIX + "passes")
            print("# virsh start, past the hook: exit %d: %s" % (rc, " | ".join(out.strip().splitlines())))
            tap.ok(got[:1] and got[0][:3] == ("prepare", "begin", 0) and "no errors" in got[0][3],
                   "virsh start of a domain that passes: the hook let it go (exit 0 at prepare begin)", got)
            tap.ok("hostdev-preflight" not in out and "Hook script execution failed" not in out,
                   "what stopped it, if anything, is not the hook", out)
            if rc != 0:
                tap.ok(("release", "end", 0) in [c[:3] for c in got],
                       "the start failed later: libvirt called release end, the hook exited 0", got)
            daemon.virsh("destroy", PREFIX + "passes")

            # plain: no host devices at all
            rc, out = daemon.virsh("start", PREFIX + "plain")
            got = hook_calls(calls, PREFIX + "plain")
            print("# virsh start, no host devices: exit %d: %s" % (rc, " | ".join(out.strip().splitlines())))
            prepare = [c for c in got if c[:2] == ("prepare", "begin")]
            tap.ok(prepare and prepare[0][2:] == (0, ""),
                   "a domain with no host devices: the hook is called at prepare begin and leaves it alone "
                   "(exit 0, not a word)", got)
            tap.ok("Hook script execution failed" not in out and "hostdev-preflight" not in out,
                   "and the hook is not what stopped it, if anything did", out)
            daemon.virsh("destroy", PREFIX + "plain")
            every = [c for n in names for c in hook_calls(calls, n)]
            tap.ok(all(c[2] == 0 for c in every if c[0] != "prepare"),
                   "every other call libvirt made exited 0", every)
            print("# hook calls: " + ", ".join(f"{c[0]} {c[1]} -> {c[2]}" for c in every))
        finally:
            for name in names:
                daemon.virsh("destroy", name)
                daemon.virsh("undefine", name)
            daemon.stop()
            os.unlink(HOOK)
            tap.ok(not os.path.exists(HOOK), f"the test's hook is removed from {HOOKS_DIR}")
    tap.done()


if __name__ == "__main__":
    main()
