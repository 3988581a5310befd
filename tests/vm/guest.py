#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bench's checks, run inside the guest (tests/vm/stage2.sh starts it)
against the live sysfs of a real kernel.

    guest.py SCENARIO.scn RESULTS_DIR

Writes one JSON record per check to RESULTS_DIR/checks.jsonl ({"ok", "name",
"detail", "todo"}, {"note"} for what is only reported, {"end": true} last);
tests/vm/bench.py turns them into TAP. The scenario's directives run in
order (README.md in this directory describes them):

  qemu ARGS / disk ID MB / iommu off    the machine's side (bench.py)
  fake FILE.host                        the same shape as a fake tree
  expect BDF KEY=VALUE...               what the kernel shows
  sh COMMAND                            a command that must succeed
  domain NAME DEV...                    DEV: BDF[/unassigned][/managed-no][/interface][/model=X]
  validate NAME [OPTION...] -> EXIT [RULE[@BDF]...]
  plan NAME [target=DRIVER]
  hostile CASE NAME [BDF] [root=FILE.host]
  apply NAME [crash=N] [state=DIR] [target=DRIVER] -> EXIT [says=TEXT]
  release NAME [state=DIR] -> EXIT [says=TEXT]
  crash-each NAME then=apply|release    killed after each step, then finished
  hold BDF / unhold                     /dev/vfio/N of BDF's group held open
  parallel NAME NAME                    two applies at once
  reset                                 the guest as at boot, journals gone
  hook NAME [refused=RULE]              libvirtd in the guest starts NAME (guest_hook.py)

A line may carry todo=WHY (a hostile line: todo=KEY,... naming which of its
checks, HOSTILE_TODO below) and fake-todo=WHY (its fake-tree comparison):
the check is expected to fail today and is reported as a TAP TODO; once
fixed it shows as an unexpected pass, and the mark goes then.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

BIN = os.environ["HP_BIN"]
SRCDIR = os.environ["HP_SRCDIR"]
HOSTS = os.path.join(SRCDIR, "tests", "hosts")
sys.path.insert(0, HOSTS)
import mkhost  # noqa: E402

PCI = "/sys/bus/pci/devices"
FAKE_RELEASE = "6.12.0-hp"
COMMON = ["--no-libvirt-schemas"]
# the checks of a hostile case that a todo= key marks as failing today
HOSTILE_TODO = {
    "named": "stops without a last message naming the device",
    "driverless": "leaves a function driverless that had a driver",
    "override": "leaves driver_override changed",
    "restored": "does not give back the functions it moved before the failure",
}


class Checks:
    def __init__(self, path):
        self.f = open(path, "w")
        self.start = time.monotonic()

    def _put(self, rec):
        rec["t"] = round(time.monotonic() - self.start, 2)
        self.f.write(json.dumps(rec) + "\n")
        self.f.flush()

    def ok(self, cond, name, detail="", todo=None):
        rec = {"ok": bool(cond), "name": name}
        if not cond:
            rec["detail"] = str(detail)
        if todo:
            rec["todo"] = todo
        self._put(rec)
        return cond

    def note(self, text):
        self._put({"note": text})

    def end(self):
        self._put({"end": True})
        self.f.close()


# --- the live sysfs --------------------------------------------------------

def link_name(path):
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def driver(bdf):
    return link_name(f"{PCI}/{bdf}/driver")


def override(bdf):
    v = read(f"{PCI}/{bdf}/driver_override")
    return None if v in (None, "(null)", "") else v


def group(bdf):
    return link_name(f"{PCI}/{bdf}/iommu_group")


def group_members(bdf):
    g = group(bdf)
    return sorted(os.listdir(f"/sys/kernel/iommu_groups/{g}/devices")) if g else []


def state():
    """Every PCI function's driver and driver_override."""
    return {b: (driver(b), override(b)) for b in sorted(os.listdir(PCI))}


def state_diff(before, after):
    lines = []
    for b in sorted(set(before) | set(after)):
        if before.get(b) != after.get(b):
            lines.append(f"{b}: driver {before.get(b, (None,))[0]} -> {after.get(b, (None,))[0]}, "
                         f"driver_override {before.get(b, (None, None))[1]} -> {after.get(b, (None, None))[1]}")
    return "\n".join(lines)


def sysfs_write(path, value):
    try:
        with open(path, "w") as f:
            f.write(value + "\n")
        return None
    except OSError as e:
        return str(e)


def wait_driver(bdf, want, seconds=5.0):
    end = time.monotonic() + seconds
    while driver(bdf) != want and time.monotonic() < end:
        time.sleep(0.05)
    return driver(bdf) == want


def restore(snap):
    """Puts every function back as snap had it, by hand (never with the
    tool's script): the bench's own cleanup between cases."""
    for b, (drv, ovr) in snap.items():
        if not os.path.exists(f"{PCI}/{b}") or state_of(b) == (drv, ovr):
            continue
        sysfs_write(f"{PCI}/{b}/driver_override", ovr or "")
        if driver(b) and driver(b) != drv:
            sysfs_write(f"{PCI}/{b}/driver/unbind", b)
        if drv and driver(b) != drv:
            if sysfs_write(f"/sys/bus/pci/drivers/{drv}/bind", b):
                sysfs_write("/sys/bus/pci/drivers_probe", b)
            wait_driver(b, drv)


def state_of(b):
    return (driver(b), override(b))


# --- the tool --------------------------------------------------------------

def tool(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def domain_xml(name, devs):
    out = ["<domain type='kvm'>", f"  <name>{name}</name>", "  <devices>"]
    for d in devs:
        dom, bus, rest = d["bdf"].split(":")
        slot, fn = rest.split(".")
        addr = f"domain='0x{dom}' bus='0x{bus}' slot='0x{slot}' function='0x{fn}'"
        managed = "no" if d.get("managed-no") else "yes"
        if d.get("interface"):
            out += [f"    <interface type='hostdev' managed='{managed}'>",
                    f"      <source><address type='pci' {addr}/></source>",
                    "    </interface>"]
            continue
        assigned = " assigned='no'" if d.get("unassigned") else ""
        out.append(f"    <hostdev mode='subsystem' type='pci' managed='{managed}'{assigned}>")
        if d.get("model"):
            out.append(f"      <driver model='{d['model']}'/>")
        out += [f"      <source><address {addr}/></source>", "    </hostdev>"]
    out += ["  </devices>", "</domain>", ""]
    return "\n".join(out)


def parse_dev(spec):
    bdf, *flags = spec.split("/")
    d = {"bdf": bdf.lower()}
    for f in flags:
        k, _, v = f.partition("=")
        d[k] = v or True
    return d


def verdict(rc, out):
    """(exit status, sorted findings 'rule@device' or 'rule'), or None."""
    try:
        diags = json.loads(out)["files"][0]["diagnostics"]
    except (ValueError, KeyError, IndexError, TypeError):
        return rc, None
    return rc, sorted(f"{d['rule']}@{d['device']}" if d.get("device") else d["rule"] for d in diags)


STEP_KINDS = ("modprobe", "set-override", "unbind", "probe", "verify", "restore-override")


def step_kind(step):
    return step.get("kind", step.get("action"))


def messages(out):
    """The findings of validate's JSON as text lines, or the output itself."""
    try:
        diags = json.loads(out)["files"][0]["diagnostics"]
    except (ValueError, KeyError, IndexError, TypeError):
        return out
    return "".join(f"{d.get('severity')}: {d.get('message')} [{d.get('rule')}]\n" for d in diags)


def show(v):
    rc, found = v
    return f"exit {rc}, " + (" ".join(found) if found else "no findings" if found is not None else "no JSON")


# --- the scenario ----------------------------------------------------------

class Scenario:
    def __init__(self, path, checks):
        self.path = path
        self.c = checks
        self.domains = {}
        self.fake = None
        self.fake_name = None
        self.captured = False  # the live guest's capture is current
        self.tmp = tempfile.mkdtemp(prefix="hp-vm-")
        self.initial = state()
        self.state_dir = os.path.join(self.tmp, "state")
        self.found = {}  # apply: each domain's functions as found before its first apply
        self.holder = None

    def xml(self, name, **change):
        devs = [dict(d, **change) for d in self.domains[name]]
        return domain_xml(name, devs)

    def build_fake(self, desc):
        out = os.path.join(self.tmp, "fake-" + desc.replace(".host", ""))
        mkhost.build(os.path.join(HOSTS, desc), out)
        return out

    def against_capture(self, args, xml):
        """@args (a command, then its options) run against a capture of the
        live guest taken now, as a CI job would run it: --root SNAPSHOT and
        the snapshot's kernel release. The plan's modules.alias line numbers
        are the snapshot's (it keeps only the vfio_pci: lines)."""
        snap = os.path.join(self.tmp, "live.snapshot")
        if not self.captured:  # one capture while nothing changes the guest
            rc, out, err = tool(["capture", "-o", snap])
            if rc != 0:
                return rc, "", f"capture -o {snap}: exit {rc}\n{err}"
            self.captured = True
        rc, out, err = tool(args[:1] + ["--root", snap] + args[1:], stdin=xml)
        return rc, re.sub(r"modules\.alias line \d+", "modules.alias line N", out), err

    def fake_args(self, root, opts):
        return ["--root", root] + ([] if "--kernel-release" in opts else ["--kernel-release", FAKE_RELEASE])

    # expect BDF KEY=VALUE...
    def do_expect(self, words, todo):
        bdf = words[0].lower()
        want = dict(w.split("=", 1) for w in words[1:])
        got = {}
        for k in want:
            if k == "driver":
                got[k] = driver(bdf) or "none"
            elif k == "group":
                got[k] = ",".join(group_members(bdf)) or "none"
            elif k == "reset_method":
                v = read(f"{PCI}/{bdf}/reset_method")
                got[k] = "absent" if v is None else v.replace(" ", ",") or "empty"
            elif k == "physfn":
                got[k] = link_name(f"{PCI}/{bdf}/physfn") or "none"
            elif k == "header":
                try:
                    with open(f"{PCI}/{bdf}/config", "rb") as f:
                        got[k] = "0x%02x" % f.read(16)[0x0e]
                except (OSError, IndexError):
                    got[k] = "unreadable"
            elif k == "vfio-dev":
                got[k] = "yes" if os.path.isdir(f"{PCI}/{bdf}/vfio-dev") else "no"
            else:
                got[k] = f"(unknown key {k})"
        self.c.ok(got == want, f"the kernel shows {bdf} with {' '.join(words[1:])}",
                  f"it shows {' '.join(f'{k}={v}' for k, v in got.items())}", todo)

    def do_sh(self, words, todo, line):
        cmd = line.split(None, 1)[1]
        p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=60)
        self.c.ok(p.returncode == 0, f"sh: {cmd}", p.stdout + p.stderr, todo)

    def do_validate(self, words, todo, fake_todo):
        arrow = words.index("->")
        name, opts = words[0], words[1:arrow]
        want = (int(words[arrow + 1]), sorted(words[arrow + 2:]))
        xml = self.xml(name)
        rc, out, err = tool(["validate", "--format", "json"] + COMMON + opts + ["-"], stdin=xml)
        live = verdict(rc, out)
        label = f"validate {name}{' ' + ' '.join(opts) if opts else ''}"
        self.c.ok(live == want, f"{label}: {show(want)}", f"got {show(live)}\n{messages(out)}{err}\n{xml}", todo)
        if "--no-host" not in opts and "--root" not in opts:
            rc, sout, err = self.against_capture(["validate", "--format", "json"] + COMMON + opts + ["-"], xml)
            self.c.ok(verdict(rc, sout) == live, f"{label}: against a capture of the live guest, the same verdict",
                      f"live: {show(live)}\nsnapshot: {show(verdict(rc, sout))}\n{messages(sout)}{err}")
        if self.fake and "--no-host" not in opts:
            rc, out, err = tool(["validate", "--format", "json"] + COMMON + self.fake_args(self.fake, opts) + opts + ["-"],
                                stdin=xml)
            fake = verdict(rc, out)
            self.c.ok(fake == live, f"{label}: the fake tree {self.fake_name} gives the same verdict",
                      f"live: {show(live)}\nfake: {show(fake)}\n{messages(out)}{err}", fake_todo)

    def plan(self, name, root=None, fmt="json", xml=None):
        args = ["plan", "--format", fmt] + COMMON
        if root:
            args += self.fake_args(root, [])
        return tool(args + ["-"], stdin=xml or self.xml(name))

    # plan NAME [target=DRIVER]
    def do_plan(self, words, todo, fake_todo):
        name = words[0]
        opts = dict(w.split("=", 1) for w in words[1:])
        todo, kind_todo = (None, todo) if todo == "steps-kind" else (todo, None)
        devs = [d["bdf"] for d in self.domains[name]]
        before = state()
        rc, out, err = self.plan(name)
        try:
            plan = json.loads(out)
        except ValueError:
            plan = None
        if not self.c.ok(rc == 0 and plan is not None, f"plan {name}: exits 0 with a JSON plan", out + err, todo):
            return
        src, sout, serr = self.against_capture(["plan", "--format", "json"] + COMMON + ["-"], self.xml(name))
        live_plan = json.loads(re.sub(r"modules\.alias line \d+", "modules.alias line N", out))
        try:
            splan = json.loads(sout)
        except ValueError:
            splan = None
        self.c.ok(src == 0 and splan == live_plan,
                  f"plan {name}: against a capture of the live guest, the same plan",
                  f"exit {src}\n{serr}\nlive: {json.dumps(live_plan, sort_keys=True)}\nsnapshot: {sout}")
        targets = {d["address"]: d.get("target_driver") for d in plan.get("devices", [])}
        want = opts.get("target", "vfio-pci")
        got = {d["address"]: (d.get("current_driver"), d.get("target_driver")) for d in plan.get("devices", [])}
        expect = {b: (before[b][0], want) for b in devs}
        self.c.ok(got == expect, f"plan {name}: every function goes from its live driver to {want}",
                  f"plan: {got}\nexpected: {expect}", todo)
        steps = plan.get("prepare", []) + plan.get("release", [])
        bad = [s for s in steps if s.get("kind") not in STEP_KINDS
               or (s.get("kind") in ("unbind", "set-override") and "previous" not in s)]
        self.c.ok(steps and not bad, f"plan {name}: every step has its kind, unbind and set-override their previous value",
                  "\n".join(f"{st.get('kind', '(no kind)')} {st.get('action')} {st.get('path', st.get('module'))}"
                            f"{'' if 'previous' in st else ' (no previous)'}" for st in bad[:6]), kind_todo)
        if self.fake:
            frc, fout, ferr = self.plan(name, root=self.fake)
            try:
                fplan = json.loads(fout)
            except ValueError:
                fplan = {}

            def shape(p):
                return ([(d.get("address"), d.get("current_driver"), d.get("target_driver"), d.get("selection"))
                         for d in p.get("devices", [])],
                        [(step_kind(s), s.get("device"), s.get("path"), s.get("value"))
                         for part in ("prepare", "release") for s in p.get(part, []) if step_kind(s) != "modprobe"])
            self.c.ok(frc == 0 and shape(fplan) == shape(plan),
                      f"plan {name}: the fake tree {self.fake_name} gives the same plan (modprobe aside)",
                      f"live: {shape(plan)}\nfake: {shape(fplan)}\n{ferr}", fake_todo)
        rc, script, err = self.plan(name, fmt="sh")
        path = os.path.join(self.tmp, f"{name}.plan.sh")
        with open(path, "w") as f:
            f.write(script)
        p = subprocess.run(["sh", path, "prepare"], capture_output=True, text=True, timeout=120)
        self.c.ok(rc == 0 and p.returncode == 0, f"plan {name}: sh plan.sh prepare exits 0 on the kernel",
                  err + p.stdout + p.stderr, todo)
        now = state()
        wrong = {b: now[b][0] for b in devs if now[b][0] != targets.get(b)}
        self.c.ok(not wrong, f"plan {name}: after prepare every function is bound to its target (the kernel's driver links)",
                  f"not on target: {wrong}\ntargets: {targets}", todo)
        if "vfio" in want:
            lacking = [b for b in devs if not os.path.isdir(f"{PCI}/{b}/vfio-dev")]
            self.c.ok(not lacking, f"plan {name}: after prepare every function has vfio-dev/ (VFIO evidence the tool reads)",
                      f"no vfio-dev/ on {lacking}", todo)
        groups = sorted({group(b) for b in devs if group(b)})
        missing = [g for g in groups if not os.path.exists(f"/dev/vfio/{g}")]
        if "vfio" in want:
            self.c.ok(groups and not missing, f"plan {name}: /dev/vfio/N exists for each group ({', '.join(groups)})",
                      f"missing: {missing}; /dev/vfio: {os.listdir('/dev/vfio') if os.path.isdir('/dev/vfio') else 'none'}",
                      todo)
        others = {b: v for b, v in before.items() if b not in devs}
        self.c.ok(all(now.get(b) == v for b, v in others.items()),
                  f"plan {name}: prepare touched no other function", state_diff(others, {b: now.get(b) for b in others}),
                  todo)
        rc2, out2, err2 = self.plan(name)
        try:
            again = json.loads(out2)
        except ValueError:
            again = {}
        steps = [s.get("kind") for s in again.get("prepare", [])]
        sel = {d.get("address"): d.get("selection") for d in again.get("devices", [])}
        self.c.ok(rc2 == 0 and all(v == "already-bound" for v in sel.values()) and not steps,
                  f"plan {name}: planned again once prepared, every function is already-bound, no prepare steps",
                  f"exit {rc2}, selections {sel}, prepare steps {steps}\n{err2}", todo)
        if "vfio" in want:
            xml = self.xml(name, **{"managed-no": True})
            v = verdict(*tool(["validate", "--format", "json"] + COMMON + ["-"], stdin=xml)[:2])
            # a device the kernel cannot reset stays one once bound to VFIO: that warning may stay
            v = (v[0], [f for f in v[1] if not f.startswith("device-reset-unavailable@")])
            self.c.ok(v == (0, []), f"plan {name}: once prepared, the domain with managed='no' validates (bound to VFIO)",
                      show(v), todo)
        p = subprocess.run(["sh", path, "release"], capture_output=True, text=True, timeout=120)
        self.c.ok(p.returncode == 0, f"plan {name}: sh plan.sh release exits 0 on the kernel", p.stdout + p.stderr, todo)
        after = state()
        self.c.ok(after == before, f"plan {name}: after release every function has the driver and driver_override it had",
                  state_diff(before, after), todo)
        left = [g for g in groups if os.path.exists(f"/dev/vfio/{g}")]
        if "vfio" in want:
            self.c.ok(not left, f"plan {name}: after release no /dev/vfio/N is left for its groups", f"left: {left}", todo)
        restore(before)

    # hostile CASE NAME [BDF] [root=FILE.host]
    def do_hostile(self, words, todo_keys):
        todo = {k: f"today's sh plan (src/hp-plan-output.c) {HOSTILE_TODO[k]}"
                for k in (todo_keys or "").split(",") if k}
        case, name = words[0], words[1]
        args = [w for w in words[2:] if "=" not in w]
        opts = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        devs = [d["bdf"] for d in self.domains[name]]
        label = f"hostile {case} {name}"
        clean = state()
        undo = []
        root = self.build_fake(opts["root"]) if "root" in opts else None
        rel = os.uname().release
        alias = f"/lib/modules/{rel}/modules.alias"
        if case in ("module-missing", "driver-absent"):
            # modules.alias names a variant for the first device: a module that
            # does not exist, or one that registers no PCI driver
            module = "hp_absent_vfio" if case == "module-missing" else "dummy"
            modalias = read(f"{PCI}/{devs[0]}/modalias")
            ven, dev = modalias[5:13], modalias[14:22]
            copy = os.path.join(self.tmp, "modules.alias")
            with open(alias) as f, open(copy, "w") as g:
                g.write(f.read() + f"alias vfio_pci:v{ven}d{dev}sv*sd*bc*sc*i* {module}\n")
            subprocess.run(["mount", "--bind", copy, alias], check=True)
            undo.append(["umount", alias])
        rc, script, err = self.plan(name, root=root, fmt="sh")
        if case in ("module-missing", "driver-absent"):
            for cmd in undo:
                subprocess.run(cmd)
            undo = []
        if not self.c.ok(rc == 0, f"{label}: the tool writes the sh plan", err):
            return
        path = os.path.join(self.tmp, f"{case}.plan.sh")
        with open(path, "w") as f:
            f.write(script)
        if case == "module-gone":
            # the plan was made with vfio-pci registered; its module goes before prepare
            p = subprocess.run(["modprobe", "-r", "vfio_pci"], capture_output=True, text=True)
            self.c.ok(p.returncode == 0 and not os.path.exists("/sys/bus/pci/drivers/vfio-pci"),
                      f"{label}: vfio_pci unloaded after the plan was written", p.stderr)
            undo.append(["modprobe", "vfio_pci"])
        elif case == "already-unbound":
            bdf = args[0].lower()
            sysfs_write(f"{PCI}/{bdf}/driver/unbind", bdf)
            self.c.ok(driver(bdf) is None, f"{label}: {bdf} unbound behind the plan's back", state_of(bdf))
        before = state()
        p = subprocess.run(["sh", path, "prepare"], capture_output=True, text=True, timeout=120)
        after = state()
        for cmd in undo:
            subprocess.run(cmd, capture_output=True)
        stderr = p.stderr.strip()
        self.c.note(f"{label}: today `sh plan.sh prepare` exits {p.returncode}; its stderr ends:\n  "
                    + "\n  ".join(stderr.splitlines()[-4:])
                    + ("\n  state change: " + state_diff(before, after).replace("\n", "\n  ") if after != before
                       else "\n  no driver or driver_override changed"))
        named = [b for b in devs if b in stderr.splitlines()[-1]] if stderr else []
        succeeded = p.returncode == 0 and all(after[b][0] for b in devs)
        if case == "already-unbound":
            # carrying on (the device is free already) is as right as stopping
            self.c.ok(succeeded or (p.returncode != 0 and named),
                      f"{label}: prepare either finishes with every function bound or stops with a last message naming the device",
                      f"exit {p.returncode}\n{stderr}", todo.get("named"))
        else:
            self.c.ok(p.returncode != 0 and named,
                      f"{label}: prepare stops (exit != 0) with a last message naming the device",
                      f"exit {p.returncode}\n{stderr}", todo.get("named"))
        lost = [b for b in before if before[b][0] and not after.get(b, (None,))[0]]
        self.c.ok(not lost, f"{label}: no function that had a driver is left without one",
                  f"driverless now: {lost}\n{state_diff(before, after)}", todo.get("driverless"))
        if not succeeded:
            self.c.ok(all(after[b][1] == before[b][1] for b in before),
                      f"{label}: every driver_override is as it began",
                      state_diff(before, after), todo.get("override"))
            self.c.ok(after == before, f"{label}: every function is back on the driver it had",
                      state_diff(before, after), todo.get("restored"))
        restore(clean)
        self.c.ok(state() == clean, f"{label}: the bench puts the guest back as it was",
                  state_diff(clean, state()))

    # --- apply and release (the tool's own executor, SPEC section 10) ---

    def apply_tool(self, verb, name, state_dir=None, env=None):
        """Runs `apply FILE` or `release NAME`; (exit status, JSON report or None, stderr)."""
        state_dir = state_dir or self.state_dir
        if verb == "apply":
            path = os.path.join(self.tmp, f"{name}.xml")
            with open(path, "w") as f:
                f.write(self.xml(name))
            args = ["apply", "--format", "json", "--state-dir", state_dir] + COMMON + [path]
        else:
            args = ["release", "--format", "json", "--state-dir", state_dir, name]
        p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, **(env or {})))
        try:
            report = json.loads(p.stdout)
        except ValueError:
            report = None
        return p.returncode, report, p.stdout + p.stderr

    def journal(self, name, state_dir=None):
        try:
            with open(os.path.join(state_dir or self.state_dir, f"{name}.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def check_applied(self, label, name, target, found, todo):
        devs = [d["bdf"] for d in self.domains[name]]
        now = state()
        wrong = {b: now[b][0] for b in devs if now[b][0] != target}
        self.c.ok(not wrong, f"{label}: every function is on {target} (the kernel's driver links)",
                  f"not on {target}: {wrong}", todo)
        j = self.journal(name)
        recorded = {d["address"]: (d["driver"], d["driver_override"]) for d in (j or {}).get("devices", [])}
        want = {b: found[b] for b in devs if found[b][0] != target}
        self.c.ok(j is not None and j.get("state") == "prepared" and recorded == want,
                  f"{label}: the journal is prepared and records each function's driver and driver_override as found",
                  f"journal: {recorded}\nfound: {want}\n{json.dumps(j)[:2000] if j else 'no journal'}", todo)

    def check_says(self, label, report, opts, todo):
        """says=TEXT on the line: the report's messages hold TEXT (the reason, not only the status)."""
        if "says" in opts:
            msgs = "\n".join((report or {}).get("messages", []))
            self.c.ok(opts["says"] in msgs, f"{label}: says '{opts['says']}'", msgs, todo)

    # apply NAME [crash=N] [state=DIR] [target=DRIVER] -> EXIT [says=TEXT]
    def do_apply(self, words, todo):
        arrow = words.index("->")
        name, want = words[0], int(words[arrow + 1])
        opts = dict(w.split("=", 1) for w in words[1:arrow] + words[arrow + 2:])
        state_dir = opts.get("state")
        env = {"HOSTDEV_PREFLIGHT_TEST_CRASH_AFTER": opts["crash"]} if "crash" in opts else None
        before = state()
        self.found.setdefault(name, before)
        rc, report, out = self.apply_tool("apply", name, state_dir, env)
        label = f"apply {name}{' ' + ' '.join(words[1:arrow]) if arrow > 1 else ''}"
        if "crash" in opts:
            self.c.ok(rc == -9 and self.journal(name, state_dir) is not None,
                      f"{label}: killed after step {opts['crash']}, its journal left", f"exit {rc}\n{out}", todo)
            return
        if not self.c.ok(rc == want and report is not None, f"{label}: exits {want} with a JSON report",
                         f"exit {rc}\n{out}", todo):
            return
        self.check_says(label, report, opts, todo)
        if want == 0:
            self.check_applied(label, name, opts.get("target", "vfio-pci"), self.found[name], todo)
        elif want == 1:
            after = state()
            self.c.ok(after == before and self.journal(name, state_dir) is None,
                      f"{label}: every function's driver and driver_override as found, no journal left",
                      state_diff(before, after) + "\n" + "\n".join(report.get("messages", [])), todo)
            self.found.pop(name, None)

    # release NAME [state=DIR] -> EXIT [says=TEXT]
    def do_release(self, words, todo):
        arrow = words.index("->")
        name, want = words[0], int(words[arrow + 1])
        opts = dict(w.split("=", 1) for w in words[1:arrow] + words[arrow + 2:])
        before = state()
        rc, report, out = self.apply_tool("release", name, opts.get("state"))
        label = f"release {name}"
        if not self.c.ok(rc == want and report is not None, f"{label}: exits {want} with a JSON report",
                         f"exit {rc}\n{out}", todo):
            return
        self.check_says(label, report, opts, todo)
        after = state()
        if want == 0:
            # the domain's functions as found before its apply, every other one as it was
            found = dict(before, **{b: v for b, v in self.found.pop(name, before).items()
                                    if b in {d["bdf"] for d in self.domains.get(name, [])}})
            self.c.ok(after == found and self.journal(name, opts.get("state")) is None,
                      f"{label}: every function back on the driver and driver_override it had before apply, "
                      "nothing else touched, journal gone", state_diff(found, after), todo)
        else:
            self.c.ok(after == before, f"{label}: refused, nothing changed", state_diff(before, after), todo)

    # crash-each NAME then=apply|release: killed after each step in turn, then finished by the next run
    def do_crash_each(self, words, todo):
        name = words[0]
        then = dict(w.split("=", 1) for w in words[1:]).get("then", "apply")
        before = state()
        n = count = 0
        while True:
            # planned again after the first run: once vfio_pci is loaded the plan has no modprobe step
            if n <= 1:
                rc, out, err = self.plan(name)
                count = len(json.loads(out).get("prepare", [])) if rc == 0 else 0
            if n == 0 and not self.c.ok(count > 0, f"crash-each {name}: the plan has steps", out + err, todo):
                return
            n += 1
            if n > count:
                break
            label = f"apply {name} killed after step {n}/{count}, then {then}"
            rc, report, out = self.apply_tool("apply", name, env={"HOSTDEV_PREFLIGHT_TEST_CRASH_AFTER": str(n)})
            if not self.c.ok(rc == -9 and self.journal(name) is not None, f"{label}: killed, journal left",
                             f"exit {rc}\n{out}", todo):
                restore(before)
                continue
            if then == "apply":
                rc, report, out = self.apply_tool("apply", name)
                self.c.ok(rc == 0, f"{label}: apply exits 0", f"exit {rc}\n{out}", todo)
                self.check_applied(label, name, "vfio-pci", before, todo)
            rc, report, out = self.apply_tool("release", name)
            after = state()
            self.c.ok(rc == 0 and after == before and self.journal(name) is None,
                      f"{label}: release exits 0, every function as found, journal gone",
                      f"exit {rc}\n{state_diff(before, after)}\n{out[-1500:]}", todo)
            restore(before)

    # hold BDF: a process holds /dev/vfio/N of BDF's group open (until unhold)
    def do_hold(self, words, todo):
        g = group(words[0].lower())
        self.holder = subprocess.Popen(
            ["python3", "-c", f"import sys, time; f = open('/dev/vfio/{g}', 'rb'); print('held', flush=True); time.sleep(600)"],
            stdout=subprocess.PIPE, text=True)
        # only once it says so is the file open (a loaded machine starts python slowly)
        said = self.holder.stdout.readline().strip()
        self.c.ok(said == "held" and self.holder.poll() is None, f"hold /dev/vfio/{g}: a process holds it open",
                  f"the holder said {said!r}, exit {self.holder.poll()}", todo)

    def do_unhold(self, words, todo):
        if self.holder is not None:
            self.holder.kill()
            self.holder.wait()
            self.holder = None

    # parallel NAME1 NAME2: two applies at once (domains sharing nothing), both exit 0
    def do_parallel(self, words, todo):
        before = state()
        procs = []
        for name in words:
            self.found.setdefault(name, before)
            path = os.path.join(self.tmp, f"{name}.xml")
            with open(path, "w") as f:
                f.write(self.xml(name))
            procs.append(subprocess.Popen([BIN, "apply", "--state-dir", self.state_dir] + COMMON + [path],
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outs = [(p.wait(timeout=300), p.stdout.read()) for p in procs]
        self.c.ok(all(rc == 0 for rc, _ in outs), f"apply {' and '.join(words)} at once: both exit 0",
                  "\n".join(f"exit {rc}\n{o}" for rc, o in outs), todo)
        for name in words:
            self.check_applied(f"apply {name} (run at once with another)", name, "vfio-pci", before, todo)

    # reset: the bench puts the guest back as it was at boot, journals gone
    def do_reset(self, words, todo):
        self.do_unhold([], None)
        restore(self.initial)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.found = {}
        self.c.ok(state() == self.initial, "reset: the bench puts the guest back as it was at boot",
                  state_diff(self.initial, state()))

    def run(self):
        with open(self.path) as f:
            lines = f.read().splitlines()
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            words = shlex.split(line)
            todo = fake_todo = None
            for w in list(words):
                if w.startswith("todo="):
                    todo = w[5:]
                    words.remove(w)
                elif w.startswith("fake-todo="):
                    fake_todo = w[10:]
                    words.remove(w)
            cmd, rest = words[0], words[1:]
            if cmd not in ("validate", "domain", "expect", "fake"):
                self.captured = False  # a plan prepares and releases, sh and hostile change the guest
            try:
                if cmd in ("qemu", "disk", "iommu"):
                    continue
                elif cmd == "fake":
                    self.fake_name = rest[0]
                    self.fake = self.build_fake(rest[0])
                elif cmd == "expect":
                    self.do_expect(rest, todo)
                elif cmd == "sh":
                    self.do_sh(rest, todo, line)
                elif cmd == "domain":
                    self.domains[rest[0]] = [parse_dev(s) for s in rest[1:]]
                elif cmd == "validate":
                    self.do_validate(rest, todo, fake_todo)
                elif cmd == "plan":
                    self.do_plan(rest, todo, fake_todo)
                    self.captured = False
                elif cmd == "hostile":
                    self.do_hostile(rest, todo)
                elif cmd in ("apply", "release", "crash-each", "hold", "unhold", "parallel", "reset"):
                    getattr(self, "do_" + cmd.replace("-", "_"))(rest, todo)
                elif cmd == "hook":  # libvirt's daemon and our hook (guest_hook.py)
                    import guest_hook
                    guest_hook.run(self, rest, todo, sys.modules[__name__])
                else:
                    self.c.ok(False, f"unknown directive: {line}")
            except Exception as e:  # noqa: BLE001 -- one bad line must not hide the others
                self.c.ok(False, f"{line}: the bench itself failed", f"{type(e).__name__}: {e}")


def main():
    scn, results = sys.argv[1], sys.argv[2]
    checks = Checks(os.path.join(results, "checks.jsonl"))
    # what udev would do at boot: load the drivers of the devices present
    aliases = [read(f"{PCI}/{b}/modalias") for b in sorted(os.listdir(PCI))]
    subprocess.run(["modprobe", "-q", "-b", "-a"] + [a for a in aliases if a])
    try:
        Scenario(scn, checks).run()
    finally:
        checks.end()


if __name__ == "__main__":
    main()
