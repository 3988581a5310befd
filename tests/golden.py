#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden tests: tests/xml-in/NAME.xml -> tests/xml-out/NAME.*

For each case, through the real binary:
  NAME.diag        what `validate` prints, then the exit status
  NAME.xml         `normalize` output (valid cases only)
  NAME.compat.xml  `normalize --libvirt-compat` output (valid cases only)
  NAME.plan.txt, NAME.plan.json, NAME.plan.sh
                   `plan` in each format (valid cases with a host tree)
The sh plan is also run with HOSTDEV_ROOT on a copy of the host tree, with
a modprobe stand-in on PATH: it must write exactly the files the JSON plan
lists, with the values it lists, and load exactly its modules.
Extra arguments for a case go one per line in xml-in/NAME.args; {hosts}/H
there is the tree built from tests/hosts/H.host, and a case without
--root runs with --no-host. Every normalized output must validate again and normalize
to itself. HP_REGENERATE=1 rewrites the expected files; review the diff.
"""
import difflib
import glob
import json
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


def touch_all(root):
    """Sets every regular file's mtime to the epoch, so writes show."""
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                os.utime(p, (0, 0))


def written(root):
    """Real paths of the files written since touch_all() -> their bytes."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p) and os.stat(p).st_mtime != 0:
                out[os.path.realpath(p)] = open(p, "rb").read()
    return out


# Loads a module the way the kernel would show it: a driver named like the
# module with '-' for '_' (as vfio_pci registers vfio-pci), and its links.
MODPROBE = """#!/bin/sh
echo "$1" >> "$HP_MODPROBE_LOG"
drv=$(echo "$1" | tr _ -)
mkdir -p "$HOSTDEV_ROOT/sys/bus/pci/drivers/$drv" "$HOSTDEV_ROOT/sys/module/$1/drivers"
: > "$HOSTDEV_ROOT/sys/bus/pci/drivers/$drv/bind"
: > "$HOSTDEV_ROOT/sys/bus/pci/drivers/$drv/unbind"
ln -sfn "../../../bus/pci/drivers/$drv" "$HOSTDEV_ROOT/sys/module/$1/drivers/pci:$drv"
"""


def run_sh_plan(tap, name, hosts, host, script, plan):
    """Runs prepare, then release, on a copy of the host tree."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "root")
        shutil.copytree(os.path.join(hosts, host), copy, symlinks=True)
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        log = os.path.join(tmp, "modprobe.log")
        with open(os.path.join(bindir, "modprobe"), "w") as f:
            f.write(MODPROBE)
        os.chmod(os.path.join(bindir, "modprobe"), 0o755)
        with open(os.path.join(tmp, "plan.sh"), "w") as f:
            f.write(script)
        env = dict(os.environ, HOSTDEV_ROOT=copy, HP_MODPROBE_LOG=log,
                   PATH=bindir + ":" + os.environ["PATH"])
        # no modprobe runs on a copy (SPEC section 7): the plan's modules are
        # loaded in the copy beforehand, as they would be on the host
        for st in plan["prepare"]:
            if st["action"] == "modprobe":
                subprocess.run(["sh", os.path.join(bindir, "modprobe"), st["module"]], env=env, check=True)
        for phase in ("prepare", "release"):
            touch_all(copy)
            if os.path.exists(log):
                os.unlink(log)
            p = subprocess.run(["sh", os.path.join(tmp, "plan.sh"), phase], env=env, capture_output=True, text=True)
            # files modprobe made are the stand-in's, not the plan's writes
            changed = {k: v for k, v in written(copy).items() if not k.endswith(("/bind", "/unbind")) or v != b""}
            want = {}
            for step in plan[phase]:
                if step["action"] == "write":
                    want[os.path.realpath(copy + step["path"])] = (step["value"] + "\n").encode()
            mods = open(log).read().split() if os.path.exists(log) else []
            want_mods = []
            detail = (f"exit {p.returncode}\n{p.stderr}\nchanged: {sorted(changed.items())}\n"
                      f"wanted: {sorted(want.items())}\nmodprobe: {mods} wanted {want_mods}")
            tap.ok(p.returncode == 0 and changed == want and mods == want_mods,
                   f"{name}: sh plan {phase} on a copy writes exactly the JSON plan's files and values", detail)


def plan_agrees(plan, text):
    """The text plan shows what the JSON says: devices, drivers, step counts."""
    problems = []
    for d in plan["devices"]:
        line = f"{d['address']}"
        if line not in text or f"-> {d['target_driver'] or '(no driver)'}" not in text:
            problems.append(f"{d['address']} -> {d['target_driver']} not in the text")
        if f"{d['selection']}: " not in text:
            problems.append(f"selection {d['selection']} not in the text")
    prep, rel = text.split("Prepare, before the domain starts:")[1].split("Release, after the domain stops:")
    for part, steps in ((prep, plan["prepare"]), (rel, plan["release"])):
        numbered = [ln for ln in part.splitlines() if ln.strip()[:1].isdigit()]
        if len(numbered) != len(steps):
            problems.append(f"{len(numbered)} numbered steps in the text, {len(steps)} in the JSON")
    return problems


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
            for suffix in (".xml", ".compat.xml", ".plan.txt", ".plan.json", ".plan.sh"):
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
        if "--root" not in extra:
            continue
        host = os.path.basename(extra[extra.index("--root") + 1])
        outs = {}
        for fmt in ("text", "json", "sh"):
            rc, outs[fmt], err = run(["plan", "--format", fmt] + schema + extra + [rel], cwd=TESTS, env=env)
            suffix = {"text": ".plan.txt", "json": ".plan.json", "sh": ".plan.sh"}[fmt]
            tap.ok(rc == 0, f"{name}: plan --format {fmt} exits 0", err)
            expect(tap, name, out_base + suffix, outs[fmt])
        plan = json.loads(outs["json"])
        tap.ok(not plan_agrees(plan, outs["text"]), f"{name}: plan text and JSON agree",
               "\n".join(plan_agrees(plan, outs["text"])))
        tap.ok(all(st.get("path", "/sys/").startswith("/sys/") for st in plan["prepare"] + plan["release"]),
               f"{name}: plan paths are the target host's /sys", outs["json"])
        p = subprocess.run(["sh", "-n"], input=outs["sh"], capture_output=True, text=True)
        tap.ok(p.returncode == 0, f"{name}: sh -n accepts the sh plan", p.stderr)
        if shutil.which("shellcheck"):
            p = subprocess.run(["shellcheck", "-s", "sh", "-"], input=outs["sh"], capture_output=True, text=True)
            tap.ok(p.returncode == 0, f"{name}: shellcheck accepts the sh plan", p.stdout)
        run_sh_plan(tap, name, hosts, host, outs["sh"], plan)
    tap.done()


if __name__ == "__main__":
    main()
