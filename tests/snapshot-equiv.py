#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A check against a snapshot says what the same check against the tree it
was captured from says (SPEC section 9), through the real binary.

Hosts: this machine's / (when it has PCI devices), every fake host
(tests/hosts/*.host) and the five real snapshots (tests/data/hosts-real).
Each is captured; the snapshot is given to --root with no --kernel-release
(the snapshot's own is the default). Domains: every golden domain
(tests/xml-in) whose .args names that host, and one generated per host that
declares every PCI device of it. For each pair, `validate --format json`
gives the same findings (rule, severity, line, column, device, and the
message with the host's path or snapshot file name written as {root}) and
the same exit status, and `plan --format json` the same plan (or the same
refusal). The matrix is printed as TAP comments."""
import glob
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import SRCDIR, Tap, run  # noqa: E402
import mkhost  # noqa: E402

TESTS = os.path.join(SRCDIR, "tests")
REL = "6.12.0-hp"
COMMON = ["--no-libvirt-schemas"]
ENV = {"HOSTDEV_PREFLIGHT_PCI_IDS": os.path.join(TESTS, "hosts", "pci.ids")}


def generated_domain(devices):
    devs = ""
    for bdf in devices:
        d, b, rest = bdf.split(":")
        s, f = rest.split(".")
        devs += (f"    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                 f"      <source><address domain='0x{d}' bus='0x{b}' slot='0x{s}' function='0x{f}'/></source>\n"
                 "    </hostdev>\n")
    return f"<domain type='kvm'>\n  <name>every-device</name>\n  <devices>\n{devs}  </devices>\n</domain>\n"


def normalize(text, root, snap):
    """The host's own name in a message: the tree's path or the snapshot file."""
    for name in sorted({root, os.path.realpath(root), snap}, key=len, reverse=True):
        text = text.replace(name, "{root}")
    return text


def findings(out, root, snap):
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    return [(d["rule"], d["severity"], d.get("line"), d.get("column"), d.get("device"),
             normalize(d["message"], root, snap)) for f in doc["files"] for d in f.get("diagnostics", [])]


def plan_of(rc, out, err, root, snap):
    if rc != 0:
        # a refusal: the same exit status and the same findings on stderr
        return rc, normalize(err, root, snap)
    plan = json.loads(out)
    return rc, json.loads(normalize(json.dumps(plan, sort_keys=True), root, snap))


def compare(tap, matrix, host, dname, dom, root, rel_args, snap):
    tree_args = ["--root", root] + rel_args
    snap_args = ["--root", snap]
    same = True
    rc1, out1, err1 = run(["validate", "--format", "json"] + COMMON + tree_args + [dom], env=ENV)
    rc2, out2, err2 = run(["validate", "--format", "json"] + COMMON + snap_args + [dom], env=ENV)
    f1, f2 = findings(out1, root, snap), findings(out2, root, snap)
    ok = f1 is not None and rc1 == rc2 and f1 == f2 and err1 == err2 == ""
    same &= ok
    detail = ""
    if not ok:
        detail = f"exit {rc1} vs {rc2}\n{err1}{err2}\n" + "\n".join(
            f"- {a}\n+ {b}" for a, b in zip(f1 or [], f2 or []) if a != b)
        if f1 is not None and f2 is not None and len(f1) != len(f2):
            detail += f"\n{len(f1)} findings vs {len(f2)}:\n" + json.dumps(f1, indent=1) + json.dumps(f2, indent=1)
    tap.ok(ok, f"{host} × {dname}: validate against the snapshot gives the tree's findings "
           f"({len(f1 or [])}, exit {rc1})", detail)
    rc1, out1, err1 = run(["plan", "--format", "json"] + COMMON + tree_args + [dom], env=ENV)
    rc2, out2, err2 = run(["plan", "--format", "json"] + COMMON + snap_args + [dom], env=ENV)
    p1, p2 = plan_of(rc1, out1, err1, root, snap), plan_of(rc2, out2, err2, root, snap)
    ok = p1 == p2 and rc1 in (0, 1)
    same &= ok
    tap.ok(ok, f"{host} × {dname}: plan against the snapshot is the tree's "
           f"({'a plan' if rc1 == 0 else 'refused, exit %d' % rc1})",
           f"{json.dumps(p1, indent=1, sort_keys=True)}\n---\n{json.dumps(p2, indent=1, sort_keys=True)}")
    matrix.append((host, dname, "same" if same else "DIFFERENT"))


def capture(tap, root, rel_args, snap):
    rc, out, err = run(["capture", "--root", root, "-o", snap] + rel_args)
    return tap.ok(rc == 0 and os.path.isfile(snap), f"captured {root}", err)


def pci_devices(root):
    d = os.path.join(root, "sys", "bus", "pci", "devices")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def main():
    tap = Tap()
    matrix = []
    with tempfile.TemporaryDirectory() as tmp:
        # --- every fake host, its golden domains and one with all its devices
        golden = {}
        for args_file in sorted(glob.glob(os.path.join(TESTS, "xml-in", "*.args"))):
            words = [a for a in open(args_file).read().splitlines() if a and not a.startswith("#")]
            if "--root" in words:
                host = os.path.basename(words[words.index("--root") + 1])
                golden.setdefault(host, []).append(args_file[:-5] + ".xml")
        for desc in sorted(glob.glob(os.path.join(TESTS, "hosts", "*.host"))):
            name = os.path.basename(desc)[:-5]
            root = os.path.join(tmp, name)
            mkhost.build(desc, root)
            snap = os.path.join(tmp, name + ".snapshot")
            if not capture(tap, root, ["--kernel-release", REL], snap):
                continue
            doms = [(os.path.basename(x)[:-4], x) for x in golden.get(name, [])]
            gen = os.path.join(tmp, name + "-every-device.xml")
            with open(gen, "w") as f:
                f.write(generated_domain(pci_devices(root)))
            doms.append(("every-device", gen))
            for dname, dom in doms:
                compare(tap, matrix, name, dname, dom, root, ["--kernel-release", REL], snap)
        tap.ok(set(golden) <= {os.path.basename(d)[:-5] for d in glob.glob(os.path.join(TESTS, "hosts", "*.host"))},
               "every host a golden case names is a fake host here", str(golden.keys()))

        # --- the real snapshots
        tars = sorted(glob.glob(os.path.join(TESTS, "data", "hosts-real", "*.tar.gz")))
        tap.ok(len(tars) == 5, "the five real snapshots are in tests/data/hosts-real")
        for tar in tars:
            name = os.path.basename(tar)[:-7]
            root = os.path.join(tmp, name)
            os.makedirs(root)
            with tarfile.open(tar) as t:
                t.extractall(root, filter="tar") if hasattr(tarfile, "data_filter") else t.extractall(root)
            inner = [p for p in glob.glob(os.path.join(root, "*")) if os.path.isdir(os.path.join(p, "sys"))]
            if not os.path.isdir(os.path.join(root, "sys")) and inner:
                root = inner[0]
            snap = os.path.join(tmp, name + ".snapshot")
            if not capture(tap, root, ["--kernel-release", REL], snap):
                continue
            gen = os.path.join(tmp, name + "-every-device.xml")
            with open(gen, "w") as f:
                f.write(generated_domain(pci_devices(root)))
            compare(tap, matrix, name[:24], "every-device", gen, root, ["--kernel-release", REL], snap)

        # --- this machine
        devices = pci_devices("/")
        if devices:
            snap = os.path.join(tmp, "this-machine.snapshot")
            if capture(tap, "/", [], snap):
                gen = os.path.join(tmp, "this-machine-every-device.xml")
                with open(gen, "w") as f:
                    f.write(generated_domain(devices))
                compare(tap, matrix, "this-machine", "every-device", gen, "/", [], snap)
                # one device at a time too: a plan for each that validates
                for bdf in devices:
                    one = os.path.join(tmp, f"this-machine-{bdf}.xml")
                    with open(one, "w") as f:
                        f.write(generated_domain([bdf]))
                    compare(tap, matrix, "this-machine", bdf, one, "/", [], snap)
        else:
            tap.skip("this machine's /", "no PCI devices here (a container?): the equivalence on a real /sys is not checked")
        # --- a snapshot is hostile input: garbled, a usage error naming file and line
        bad = os.path.join(tmp, "garbled.snapshot")
        with open(bad, "wb") as f:
            f.write(b"hostdev-preflight-snapshot 1\ndir sys\nfile sys/x a\nfile sys/x b\n")
        dom = os.path.join(tmp, "one.xml")
        with open(dom, "w") as f:
            f.write(generated_domain(["0000:01:00.0"]))
        for cmd in ("validate", "plan"):
            rc, out, err = run([cmd] + COMMON + ["--root", bad, dom])
            tap.ok(rc == 2 and out == "" and f"{bad}:4:" in err and "given twice" in err,
                   f"{cmd} --root with a garbled snapshot: exit 2, the file and line", out + err)
        # a link out of the root in a snapshot is data, refused where it is followed
        out_snap = os.path.join(tmp, "outside.snapshot")
        with open(out_snap, "wb") as f:
            f.write(b"hostdev-preflight-snapshot 1\nkernel-release 1.0\n"
                    b"link sys/bus/pci/devices/0000:01:00.0 ../../../../../etc\n")
        rc, out, err = run(["validate", "--format", "json"] + COMMON + ["--root", out_snap, dom])
        tap.ok(rc == 1 and "leads out of the host root" in out and err == "",
               "a snapshot link that leads out: a finding, not followed", out + err)
        # the release: the snapshot's by default, --kernel-release overrides it
        snap = os.path.join(tmp, "sriov.snapshot")
        sriov_dom = os.path.join(tmp, "sriov-every-device.xml")
        rc, out, err = run(["validate", "--format", "json"] + COMMON + ["--root", snap, sriov_dom], env=ENV)
        rc2, out2, err2 = run(["validate", "--format", "json"] + COMMON + ["--root", snap, "--kernel-release", "9.9", sriov_dom],
                              env=ENV)
        tap.ok("modules-alias-missing" not in out and "modules-alias-missing" in out2 and "9.9" in out2,
               "the kernel release is the snapshot's unless --kernel-release is given", out + out2)
    print("# equivalence matrix (host × domain: tree vs snapshot)")
    for host, dname, verdict in matrix:
        print(f"#   {host:28} {dname:36} {verdict}")
    tap.done()


if __name__ == "__main__":
    main()
