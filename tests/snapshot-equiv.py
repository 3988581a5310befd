#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A check against a snapshot says what the same check against the tree it
was captured from says (SPEC section 9), through the real binary.

Hosts: this machine's / (it has PCI devices; the test fails where it has
none, rather than pass having compared nothing, unless HP_NO_REAL_SYS=1
says so), every fake host (tests/hosts/*.host) and the five real snapshots
(tests/data/hosts-real, extracted into a temporary directory). Each is
captured; the snapshot is given to --root with no --kernel-release (the
snapshot's own is the default). Domains: every golden domain
(tests/xml-in) whose .args names that host, and one per host that declares
every PCI device of it (on this machine, each device alone too). For each
pair, `validate --format json` gives the same findings (rule, severity,
line, column, device) and the same exit status, and `plan --format json`
the same plan (or the same refusal); messages may name other host files
(the tree's path or the snapshot's name). A capture of the snapshot is the
snapshot, byte for byte. Then hostile snapshots: exit 2 with the file and
line. The matrix is printed as TAP comments."""
import glob
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import SRCDIR, Tap, hostdev_domain, real_hosts, run  # noqa: E402
import mkhost  # noqa: E402

TESTS = os.path.join(SRCDIR, "tests")
REL = "6.12.0-hp"
COMMON = ["--no-libvirt-schemas"]
ENV = {"HOSTDEV_PREFLIGHT_PCI_IDS": os.path.join(TESTS, "hosts", "pci.ids")}


def generated_domain(devices):
    return hostdev_domain(devices, name="every-device")


def normalize(text, root, snap):
    """What a message may say differently: the host's own name (the tree's
    path or the snapshot file) and where in modules.alias a line was (a
    capture keeps only its vfio_pci: lines)."""
    for name in sorted({root, os.path.realpath(root), snap}, key=len, reverse=True):
        if name != "/":
            text = text.replace(name, "{root}")
    return re.sub(r"modules\.alias line \d+", "modules.alias line N", text)


def findings(out):
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    return [(d["rule"], d["severity"], d.get("line"), d.get("column"), d.get("device"))
            for f in doc["files"] for d in f.get("diagnostics", [])]


def plan_of(rc, out, err, root, snap):
    if rc != 0:
        # a refusal: the same exit status (the findings are validate's)
        return rc, None
    return rc, json.loads(normalize(out, root, snap))


def compare(tap, matrix, host, dname, dom, root, rel_args, snap):
    tree_args = ["--root", root] + rel_args
    snap_args = ["--root", snap]
    rc1, out1, err1 = run(["validate", "--format", "json"] + COMMON + tree_args + [dom], env=ENV)
    rc2, out2, err2 = run(["validate", "--format", "json"] + COMMON + snap_args + [dom], env=ENV)
    f1, f2 = findings(out1), findings(out2)
    ok_v = f1 is not None and rc1 == rc2 and f1 == f2 and err1 == err2 == ""
    detail = f"exit {rc1} vs {rc2}\n{err1}{err2}\n" + "\n".join(
        f"- {a}\n+ {b}" for a, b in zip(f1 or [], f2 or []) if a != b)
    if f1 is not None and f2 is not None and len(f1) != len(f2):
        detail += f"\n{len(f1)} findings vs {len(f2)}:\n{out1}\n---\n{out2}"
    tap.ok(ok_v, f"{host} x {dname}: validate against the snapshot gives the tree's findings "
           f"({len(f1 or [])}, exit {rc1})", detail)
    rc1, out1, err1 = run(["plan", "--format", "json"] + COMMON + tree_args + [dom], env=ENV)
    rc2, out2, err2 = run(["plan", "--format", "json"] + COMMON + snap_args + [dom], env=ENV)
    p1, p2 = plan_of(rc1, out1, err1, root, snap), plan_of(rc2, out2, err2, root, snap)
    ok_p = p1 == p2 and rc1 in (0, 1)
    tap.ok(ok_p, f"{host} x {dname}: plan against the snapshot is the tree's "
           f"({'a plan' if rc1 == 0 else 'refused, exit %d' % rc1})",
           f"{err1}{err2}{json.dumps(p1, indent=1, sort_keys=True)}\n---\n{json.dumps(p2, indent=1, sort_keys=True)}")
    matrix.append((host, dname, len(f1 or []), rc1, "same" if ok_v and ok_p else "DIFFERENT"))


def capture(tap, name, root, rel_args, snap):
    """Captures @root, then the snapshot itself: the same bytes."""
    rc, out, err = run(["capture", "--root", root, "-o", snap] + rel_args)
    if not tap.ok(rc == 0 and os.path.isfile(snap), f"{name}: captured", err):
        return False
    again = snap + ".again"
    rc, out, err = run(["capture", "--root", snap, "-o", again])
    same = rc == 0 and open(snap, "rb").read() == open(again, "rb").read()
    tap.ok(same, f"{name}: a capture of the snapshot (capture --root SNAPSHOT) is the same bytes", err)
    return True


def pci_devices(root):
    d = os.path.join(root, "sys", "bus", "pci", "devices")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def fake_hosts(tap, matrix, tmp):
    golden = {}
    for args_file in sorted(glob.glob(os.path.join(TESTS, "xml-in", "*.args"))):
        words = [a for a in open(args_file).read().splitlines() if a and not a.startswith("#")]
        if "--root" in words:
            host = os.path.basename(words[words.index("--root") + 1])
            golden.setdefault(host, []).append(args_file[:-5] + ".xml")
    hosts = sorted(glob.glob(os.path.join(TESTS, "hosts", "*.host")))
    tap.ok(set(golden) <= {os.path.basename(d)[:-5] for d in hosts},
           "every host a golden case names is a fake host here", str(golden.keys()))
    for desc in hosts:
        name = os.path.basename(desc)[:-5]
        root = os.path.join(tmp, name)
        mkhost.build(desc, root)
        snap = os.path.join(tmp, name + ".snapshot")
        if not capture(tap, name, root, ["--kernel-release", REL], snap):
            continue
        doms = [(os.path.basename(x)[:-4], x) for x in golden.get(name, [])]
        gen = write(os.path.join(tmp, name + "-every-device.xml"), generated_domain(pci_devices(root)))
        doms.append(("every-device", gen))
        for dname, dom in doms:
            compare(tap, matrix, name, dname, dom, root, ["--kernel-release", REL], snap)


def real_machines(tap, matrix, tmp):
    hosts = real_hosts(tmp)
    tap.ok(len(hosts) == 5, "the five real snapshots are in tests/data/hosts-real", hosts)
    for name, root in hosts:
        snap = os.path.join(tmp, name + ".snapshot")
        if not capture(tap, name, root, ["--kernel-release", REL], snap):
            continue
        gen = write(os.path.join(tmp, name + "-every-device.xml"), generated_domain(pci_devices(root)))
        compare(tap, matrix, name[:24], "every-device", gen, root, ["--kernel-release", REL], snap)


def this_machine(tap, matrix, tmp):
    devices = pci_devices("/")
    if not devices:
        if os.environ.get("HP_NO_REAL_SYS") == "1":
            tap.skip("this machine's /", "HP_NO_REAL_SYS=1: no PCI devices here")
        else:
            tap.ok(False, "this machine's / has PCI devices to compare (set HP_NO_REAL_SYS=1 where it has none)")
        return
    snap = os.path.join(tmp, "this-machine.snapshot")
    if not capture(tap, "this machine", "/", [], snap):
        return
    gen = write(os.path.join(tmp, "this-machine-every-device.xml"), generated_domain(devices))
    compare(tap, matrix, "this-machine", "every-device", gen, "/", [], snap)
    for bdf in devices:
        one = write(os.path.join(tmp, f"this-machine-{bdf}.xml"), generated_domain([bdf]))
        compare(tap, matrix, "this-machine", bdf, one, "/", [], snap)


def hostile(tap, tmp):
    """A snapshot is input like any other: refused with its file and line."""
    dom = write(os.path.join(tmp, "one.xml"), generated_domain(["0000:01:00.0"]))
    head = b"hostdev-preflight-snapshot 1\nkernel-release 1.0\n"
    cases = [
        ("duplicate", head + b"dir sys\nfile sys/x a\nfile sys/x b\n", 5, "given twice"),
        ("truncated", head + b"dir sys\nfile sys/x a", 4, "truncated"),
        ("garbled", head + b"dir sys\nfrobnicate sys/x\n", 4, ""),
        ("bad escape", head + b"file sys/x \\q\n", 3, ""),
        ("huge value", head + b"file sys/x " + b"a" * (1024 * 1024 + 1) + b"\n", 3, ""),
        ("another version", b"hostdev-preflight-snapshot 99\n", 1, ""),
        ("a path with ..", head + b"file sys/../../etc/passwd x\n", 3, ""),
    ]
    for what, data, line, words in cases:
        bad = write(os.path.join(tmp, what.replace(" ", "-") + ".snapshot"), data)
        for cmd in ("validate", "plan", "fix", "capture"):
            args = [cmd, "--root", bad] + (COMMON + [dom] if cmd != "capture" else ["-o", os.path.join(tmp, "x")])
            rc, out, err = run(args)
            tap.ok(rc == 2 and out == "" and f"{bad}:{line}:" in err and words in err and "Traceback" not in err,
                   f"{cmd} --root with a snapshot ({what}): exit 2, the file and line {line}", f"{rc}\n{out}{err}")
    # a link out of the root in a snapshot's content is data, refused where
    # it is followed: a finding, as in a tree
    out_snap = write(os.path.join(tmp, "outside.snapshot"),
                     head + b"link sys/bus/pci/devices/0000:01:00.0 ../../../../../etc\n")
    rc, out, err = run(["validate", "--format", "json"] + COMMON + ["--root", out_snap, dom])
    tap.ok(rc == 1 and "leads out of the host root" in out and err == "",
           "a snapshot link that leads out: a finding, never followed", out + err)
    abs_snap = write(os.path.join(tmp, "absolute.snapshot"),
                     head + b"dir sys/bus/pci/devices/0000:01:00.0\nlink sys/bus/pci/devices/0000:01:00.0/driver /etc\n")
    rc, out, err = run(["validate", "--format", "json"] + COMMON + ["--root", abs_snap, dom])
    tap.ok(rc == 1 and "a driver that cannot be read" in out and err == "",
           "a snapshot link to an absolute path: an unknown value with a finding", out + err)
    loop = write(os.path.join(tmp, "loop.snapshot"),
                 head + b"link sys/bus/pci/devices/0000:01:00.0 0000:01:00.0\n")
    rc, out, err = run(["validate", "--format", "json"] + COMMON + ["--root", loop, dom])
    tap.ok(rc == 1 and "too many levels of symbolic links" in out and err == "",
           "a snapshot link that loops: a finding", out + err)
    # a snapshot with no PCI devices is not a host to check against: exit 2
    nopci = write(os.path.join(tmp, "no-pci.snapshot"), head + b"file proc/cmdline quiet\\n\n")
    for cmd in ("validate", "plan"):
        rc, out, err = run([cmd] + COMMON + ["--root", nopci, dom])
        tap.ok(rc == 2 and out == "" and "holds no PCI devices" in err,
               f"{cmd} --root with a snapshot of no PCI devices: exit 2, capture the host again", err)
    # a directory is not a snapshot, a FIFO is neither: exit 2, never blocks
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    rc, out, err = run(["validate", "--root", fifo] + COMMON + [dom], timeout=20)
    tap.ok(rc == 2 and "neither a readable directory nor a snapshot" in err, "a FIFO as --root: exit 2", err)


def release(tap, tmp):
    """The kernel release: the snapshot's, unless --kernel-release is given."""
    snap = os.path.join(tmp, "sriov.snapshot")
    dom = os.path.join(tmp, "sriov-every-device.xml")
    rc, out, err = run(["validate", "--format", "json"] + COMMON + ["--root", snap, dom], env=ENV)
    rc2, out2, err2 = run(["validate", "--format", "json"] + COMMON + ["--root", snap, "--kernel-release", "9.9", dom],
                          env=ENV)
    tap.ok("modules-alias-missing" not in out and "modules-alias-missing" in out2 and "9.9" in out2,
           "the kernel release is the snapshot's unless --kernel-release is given", out + err + out2 + err2)


def main():
    tap = Tap()
    matrix = []
    with tempfile.TemporaryDirectory() as tmp:
        fake_hosts(tap, matrix, tmp)
        real_machines(tap, matrix, tmp)
        this_machine(tap, matrix, tmp)
        hostile(tap, tmp)
        release(tap, tmp)
    print("# equivalence matrix (host x domain: findings, exit; tree vs snapshot)")
    for host, dname, n, rc, verdict in matrix:
        print(f"#   {host:28} {dname:36} {n:3} findings, exit {rc}: {verdict}")
    tap.done()


if __name__ == "__main__":
    main()
