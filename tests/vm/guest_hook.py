# SPDX-License-Identifier: LGPL-2.1-or-later
"""The `hook` directive of the real-kernel bench (guest.py calls it):
libvirt's daemon, started inside the guest, starts a domain with `virsh
start`, and runs our hook from /etc/libvirt/hooks/qemu.d/ (the guest's root
is an overlay: nothing reaches the machine).

    hook NAME                the hook binds NAME's managed='no' functions to
                             vfio-pci at prepare begin, before libvirt checks
                             them; however the start ends (QEMU under TCG
                             inside TCG may or may not run the domain), once
                             the domain is gone release end gives every
                             function back as it was
    hook NAME refused=RULE   the hook refuses the start, with RULE in
                             virsh's error; nothing changes

The hook script is the installed one (hooks/qemu.d/hostdev-preflight.in
with the binary under test), behind a wrapper that records each call and
the drivers of the domain's functions right after it: what libvirt found
when it went on.
"""
import os
import shutil
import subprocess
import time

HOOKS_DIR = "/etc/libvirt/hooks/qemu.d"
TMP = "/run/hp-hook"


def sh(args, timeout=60):
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return 124, f"{' '.join(args)}: no answer in {timeout} s"


class Libvirt:
    """libvirtd and virtlogd of the guest, started once for every hook line."""

    def __init__(self, bin_path, srcdir, bdfs):
        self.sock = os.path.join(TMP, "sock")
        self.calls = os.path.join(TMP, "calls")
        os.makedirs(self.sock, exist_ok=True)
        os.makedirs(self.calls, exist_ok=True)
        script = os.path.join(TMP, "hostdev-preflight-hook")
        with open(os.path.join(srcdir, "hooks", "qemu.d", "hostdev-preflight.in")) as f, open(script, "w") as g:
            g.write(f.read().replace("@bindir@", os.path.dirname(bin_path)))
        os.chmod(script, 0o755)
        # the installed script, and what libvirt found after it returned
        links = " ".join(f"{b}=$(basename \"$(readlink /sys/bus/pci/devices/{b}/driver)\")" for b in bdfs)
        os.makedirs(HOOKS_DIR, exist_ok=True)
        for old in os.listdir(HOOKS_DIR):  # the machine's, if any: not this guest's business
            os.unlink(os.path.join(HOOKS_DIR, old))
        self.hook = os.path.join(HOOKS_DIR, "hostdev-preflight")
        with open(self.hook, "w") as f:
            f.write("#!/bin/sh\n"
                    f"n=$(date +%s%N); '{script}' \"$@\" 2>'{self.calls}'/$n.err; rc=$?\n"
                    f"echo \"$1 $2 $3 $rc {links}\" > '{self.calls}'/$n.call\n"
                    f"cat '{self.calls}'/$n.err >&2\nexit $rc\n")
        os.chmod(self.hook, 0o755)
        conf = os.path.join(TMP, "libvirtd.conf")
        with open(conf, "w") as f:
            f.write(f'unix_sock_dir = "{self.sock}"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    f'log_outputs = "3:file:{TMP}/libvirtd.log"\n')
        self.uri = f"qemu:///system?socket={self.sock}/libvirt-sock"
        self.log = open(os.path.join(TMP, "daemons.log"), "w")
        subprocess.Popen(["virtlogd"], stdout=self.log, stderr=subprocess.STDOUT)
        self.daemon = subprocess.Popen(["libvirtd", "--config", conf], stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 120
        self.up = False
        while time.monotonic() < end and self.daemon.poll() is None:
            if self.virsh("version", timeout=30)[0] == 0:
                self.up = True
                break
            time.sleep(1)

    def virsh(self, *args, timeout=240):
        return sh(["virsh", "-q", "-c", self.uri] + list(args), timeout=timeout)

    def calls_of(self, name):
        out = []
        for f in sorted(os.listdir(self.calls)):
            if f.endswith(".call"):
                with open(os.path.join(self.calls, f)) as c:
                    words = c.read().split()
                with open(os.path.join(self.calls, f[:-5] + ".err")) as e:
                    err = e.read()
                if words and words[0] == name:
                    drivers = dict(w.split("=", 1) for w in words[4:])
                    out.append({"op": f"{words[1]} {words[2]}", "exit": int(words[3]), "drivers": drivers,
                                "stderr": err})
        return out

    def daemon_log(self):
        for f in ("libvirtd.log", "daemons.log"):
            try:
                with open(os.path.join(TMP, f)) as g:
                    yield f"--- {f}\n" + g.read()[-1500:]
            except OSError:
                pass


def domain_xml(name, devs):
    out = [f"<domain type='qemu'>\n  <name>{name}</name>\n  <memory unit='MiB'>32</memory>\n"
           "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n  <devices>\n"
           f"    <emulator>{shutil.which('qemu-system-x86_64') or '/usr/bin/qemu-system-x86_64'}</emulator>\n"]
    for d in devs:
        dom, bus, rest = d["bdf"].split(":")
        slot, fn = rest.split(".")
        managed = "no" if d.get("managed-no") else "yes"
        out.append(f"    <hostdev mode='subsystem' type='pci' managed='{managed}'>\n"
                   f"      <source><address domain='0x{dom}' bus='0x{bus}' slot='0x{slot}' function='0x{fn}'/></source>\n"
                   "    </hostdev>\n")
    out.append("  </devices>\n</domain>\n")
    return "".join(out)


def run(scn, words, todo, guest):
    """`hook NAME [refused=RULE]`; @scn is guest.Scenario, @guest the guest module."""
    c = scn.c
    name = words[0]
    opts = dict(w.split("=", 1) for w in words[1:])
    devs = scn.domains[name]
    bdfs = [d["bdf"] for d in devs]
    if getattr(scn, "libvirt", None) is None:
        t0 = time.monotonic()
        every = sorted({d["bdf"] for ds in scn.domains.values() for d in ds if os.path.exists(f"{guest.PCI}/{d['bdf']}")})
        scn.libvirt = Libvirt(os.environ["HP_BIN"], os.environ["HP_SRCDIR"], every)
        c.ok(scn.libvirt.up, "hook: libvirtd starts in the guest, with our hook in /etc/libvirt/hooks/qemu.d",
             "\n".join(scn.libvirt.daemon_log()), todo)
        c.note(f"hook: libvirtd up after {time.monotonic() - t0:.1f} s")
    lv = scn.libvirt
    if not lv.up:
        return
    before = guest.state()
    path = os.path.join(TMP, name + ".xml")
    with open(path, "w") as f:
        f.write(domain_xml(name, devs))
    rc, out = lv.virsh("define", path)
    if not c.ok(rc == 0, f"hook {name}: virsh define", out, todo):
        return
    t0 = time.monotonic()
    rc, out = lv.virsh("start", name)
    took = time.monotonic() - t0
    calls = lv.calls_of(name)
    running = rc == 0
    c.note(f"hook {name}: virsh start exited {rc} after {took:.1f} s: " + " | ".join(out.strip().splitlines())[-1500:]
           + "\n  hook calls: " + ", ".join(f"{x['op']} -> {x['exit']} {x['drivers']}" for x in calls))
    prepare = [x for x in calls if x["op"] == "prepare begin"]
    if "refused" in opts:
        rule = opts["refused"]
        c.ok(rc != 0 and f"[{rule}]" in out and "hostdev-preflight" in out,
             f"hook {name}: virsh start is refused with our {rule} finding in libvirt's error", out, todo)
        c.ok(prepare and prepare[0]["exit"] == 1, f"hook {name}: the hook refused it at prepare begin", calls, todo)
    else:
        c.ok(prepare and prepare[0]["exit"] == 0, f"hook {name}: the hook let the start go on (exit 0 at prepare begin)",
             "\n".join(f"{x['op']} -> {x['exit']}\n{x['stderr']}" for x in calls) + out, todo)
        unmanaged = [d["bdf"] for d in devs if d.get("managed-no")]
        got = prepare[0]["drivers"] if prepare else {}
        c.ok(prepare and all(got.get(b) == "vfio-pci" for b in unmanaged),
             f"hook {name}: when libvirt went on, its managed='no' functions were on vfio-pci (the hook bound them)",
             f"drivers after prepare begin: {got}", todo)
        c.ok("must be manually detached" not in out and "Hook script" not in out,
             f"hook {name}: libvirt did not find a managed='no' function undetached, nor a failed hook", out, todo)
        if running:
            now = guest.state()
            c.ok(all(now[b][0] == "vfio-pci" for b in unmanaged),
                 f"hook {name}: the domain runs, its managed='no' functions on vfio-pci", now, todo)
            rc2, out2 = lv.virsh("destroy", name)
            c.ok(rc2 == 0, f"hook {name}: virsh destroy", out2, todo)
            calls = lv.calls_of(name)
    release = [x for x in calls if x["op"] == "release end"]
    c.ok(release and all(x["exit"] == 0 for x in release),
         f"hook {name}: libvirt called release end ({'after destroy' if running else 'after the failed start'}), "
         "the hook exited 0", calls, todo)
    after = guest.state()
    c.ok(after == before, f"hook {name}: afterwards every function has the driver and driver_override it had",
         guest.state_diff(before, after) + "\n" + "".join(x["stderr"] for x in release), todo)
    journal = f"/run/hostdev-preflight/{name}.json"
    c.ok(not os.path.exists(journal), f"hook {name}: no journal is left ({journal})", todo=todo)
    lv.virsh("undefine", name)
    guest.restore(before)
