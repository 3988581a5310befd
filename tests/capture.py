#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`capture` through the real binary: this machine's / (as root and as an
unprivileged user), every fake host tree, the real machines' snapshots; for
each: the same bytes twice, parse + write = the same bytes, materialize +
capture = the same bytes, and the format read by an independent reader
here. Hostile snapshots: a diagnostic with the file and line, exit 2."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import BIN, SRCDIR, WRAP, Tap, real_hosts, run  # noqa: E402
import mkhost  # noqa: E402

HOSTS = os.path.join(SRCDIR, "tests", "hosts")
TOOL = os.environ.get("HP_SNAPSHOT_TOOL", "")
REL = "6.12.0-hp"
KINDS = {"dir", "file", "hex", "text", "link", "unreadable"}


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        if n == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
            continue
        out += {"\\": b"\\", "n": b"\n", "t": b"\t"}[n]
        i += 2
    return bytes(out)


def check_format(data):
    """An independent reading of docs/snapshot-format.md: returns a list of
    problems (empty when the text is canonical)."""
    problems = []
    if not data.endswith(b"\n"):
        problems.append("no newline at the end")
    lines = data.decode("ascii").split("\n")[:-1]
    if lines[:1] != ["hostdev-preflight-snapshot 1"]:
        problems.append(f"header {lines[:1]}")
    keys, prev = [], None
    for n, line in enumerate(lines[1:], 2):
        if any(ord(c) < 0x20 or ord(c) > 0x7e for c in line) or line.endswith(" "):
            problems.append(f"line {n}: a raw control, non-ASCII or trailing blank")
        if line.startswith("|"):
            if prev not in ("text", "|"):
                problems.append(f"line {n}: '|' after {prev}")
            prev = "|"
            continue
        kind, _, rest = line.partition(" ")
        prev = kind
        if kind == "kernel-release":
            if n != 2:
                problems.append(f"line {n}: kernel-release not right after the header")
            continue
        if kind not in KINDS:
            problems.append(f"line {n}: kind {kind!r}")
            continue
        path = rest.split(" ", 1)[0]
        keys.append([unescape(c) for c in path.split("/")])
    if keys != sorted(keys):
        problems.append("entries are not in path order")
    if len(set(map(tuple, keys))) != len(keys):
        problems.append("an entry is given twice")
    return problems


def capture(args, env=None):
    p = subprocess.run(WRAP + [BIN, "capture"] + args, capture_output=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def stats(data):
    lines = data.count(b"\n")
    return f"{lines} lines, {len(data)} bytes"


def round_trips(tap, tmp, name, root, args):
    """Capture @root twice, write the parsed snapshot again, materialize it
    and capture that: every time the same bytes."""
    rc, first, err = capture(["--root", root] + args)
    if not tap.ok(rc == 0 and first.startswith(b"hostdev-preflight-snapshot 1\n"), f"{name}: captured", err):
        return None
    rc, second, err = capture(["--root", root] + args)
    tap.ok(rc == 0 and second == first, f"{name}: the same bytes twice", err)
    tap.ok(check_format(first) == [], f"{name}: canonical ({stats(first)})", "\n".join(check_format(first)))
    snap = os.path.join(tmp, name + ".snapshot")
    rc, _, err = capture(["--root", root, "-o", snap] + args)
    with open(snap, "rb") as f:
        tap.ok(rc == 0 and f.read() == first, f"{name}: -o FILE writes the same bytes", err)
    rc, again, err = capture(["--root", snap])
    tap.ok(rc == 0 and again == first, f"{name}: parsed and written again, the same bytes", err)
    tree = os.path.join(tmp, name + ".tree")
    os.makedirs(tree)
    p = subprocess.run([TOOL, "materialize", snap, tree], capture_output=True, text=True)
    rel = [a for a in args if not a.startswith("--")]
    rc, recaptured, err = capture(["--root", tree, "--kernel-release", rel[0] if rel else os.uname().release])
    tap.ok(p.returncode == 0 and rc == 0 and recaptured == first,
           f"{name}: a capture of the materialized snapshot is the same file", p.stderr + err)
    return first


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        # --- the command line
        rc, out, err = capture(["--help"])
        tap.ok(rc == 0 and b"--root" in out and b"--kernel-release" in out and b"--output" in out,
               "capture --help: its options", err)
        for args, what in ((["extra"], "a FILE"), (["--bogus"], "an unknown option"),
                           (["--kernel-release", "a/b"], "a release with '/'")):
            rc, out, err = capture(args)
            tap.ok(rc == 2 and out == b"" and "Try 'hostdev-preflight capture --help'" in err,
                   f"capture with {what}: usage error, exit 2", err)
        rc, out, err = capture(["--root", os.path.join(tmp, "nope")])
        tap.ok(rc == 2 and out == b"" and "nope" in err, "capture --root that does not exist: exit 2", err)
        rc, out, err = capture(["--root", tmp, "-o", os.path.join(tmp, "no", "such", "dir", "x")])
        tap.ok(rc == 2 and "cannot write" in err, "capture -o into a missing directory: exit 2", err)
        rc, out, err = capture(["--root", tmp, "--kernel-release", "1.0", "-o", "-"])
        tap.ok(rc == 0 and out == b"hostdev-preflight-snapshot 1\nkernel-release 1.0\n" and "no PCI devices" in err,
               "a root with no PCI sysfs: an empty snapshot and a warning", out + err.encode())

        # --- hostile snapshots: a diagnostic naming the file and line, exit 2, never a crash
        hostile = {
            "truncated": b"hostdev-preflight-snapshot 1\nfile a b",
            "garbage": bytes(range(256)) * 4,
            "empty": b"",
            "newer": b"hostdev-preflight-snapshot 9\n",
            "duplicate": b"hostdev-preflight-snapshot 1\ndir a\nfile a/b x\nfile a/b y\n",
            "under-a-file": b"hostdev-preflight-snapshot 1\nfile a x\nfile a/b y\n",
            "dotdot": b"hostdev-preflight-snapshot 1\nlink a/../../etc x\n",
            "huge": b"hostdev-preflight-snapshot 1\nfile a " + b"x" * (2 << 20) + b"\n",
            "crlf": b"hostdev-preflight-snapshot 1\r\n",
        }
        want_line = {"truncated": ":2:", "newer": ":1:", "duplicate": ":4:", "under-a-file": ":3:", "dotdot": ":2:",
                     "huge": ":2:", "crlf": ":1:", "garbage": ":1:"}
        for name, data in hostile.items():
            path = os.path.join(tmp, name + ".snapshot")
            with open(path, "wb") as f:
                f.write(data)
            rc, out, err = capture(["--root", path])
            tap.ok(rc == 2 and out == b"" and err.startswith("hostdev-preflight: " + path) and
                   want_line.get(name, "") in err and err.count("\n") == 1,
                   f"hostile snapshot '{name}': one diagnostic with the file and line, exit 2", err)
        # a link target that leads out is kept as data, and refused when followed
        outside = os.path.join(tmp, "outside.snapshot")
        with open(outside, "wb") as f:
            f.write(b"hostdev-preflight-snapshot 1\nlink sys/bus/pci/devices/0000:00:01.0 ../../../../../../etc\n")
        rc, out, err = capture(["--root", outside])
        tap.ok(rc == 0 and b"link sys/bus/pci/devices/0000:00:01.0 ../../../../../../etc\n" in out,
               "a link target out of the root is data in a snapshot", err)

        # --- this machine's /, as root and as an unprivileged user
        devices = os.listdir("/sys/bus/pci/devices") if os.path.isdir("/sys/bus/pci/devices") else []
        if devices:
            first = round_trips(tap, tmp, "this-machine", "/", [])
            if first is not None:
                tap.ok(all(f"sys/bus/pci/devices/{d} ".encode() in first for d in devices),
                       f"this machine: all {len(devices)} PCI devices are in the snapshot")
                print(f"# this machine: {stats(first)}")
            if os.geteuid() == 0 and shutil.which("setpriv") and not WRAP:
                binary = os.path.join(tmp, "hostdev-preflight")
                shutil.copy(BIN, binary)
                os.chmod(binary, 0o755)
                p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary, "capture"],
                                   capture_output=True, timeout=300)
                rc, as_root, _ = capture([])
                tap.ok(p.returncode == 0 and p.stdout == as_root,
                       "this machine: an unprivileged capture is the same file as root's",
                       p.stderr.decode() + "\n".join(l.decode() for l in set(p.stdout.splitlines()) ^ set(as_root.splitlines())))
            else:
                tap.skip("this machine: an unprivileged capture", "not root, no setpriv, or under valgrind")
        else:
            tap.skip("this machine's /", "no PCI devices here")

        # --- every fake host tree
        for desc in sorted(glob.glob(os.path.join(HOSTS, "*.host"))):
            name = os.path.basename(desc)[:-5]
            root = os.path.join(tmp, "host-" + name)
            mkhost.build(desc, root)
            round_trips(tap, tmp, "host-" + name, root, ["--kernel-release", REL])

        # --- the real machines' snapshots
        hosts = real_hosts(tmp)
        tap.ok(len(hosts) == 5, "the five real snapshots are in tests/data/hosts-real", hosts)
        for name, root in hosts:
            first = round_trips(tap, tmp, name, root, ["--kernel-release", REL])
            if first is not None:
                devices = os.listdir(os.path.join(root, "sys", "bus", "pci", "devices"))
                has_mounts = os.path.isfile(os.path.join(root, "proc", "self", "mounts"))
                tap.ok(all(f"link sys/bus/pci/devices/{d} ".encode() in first for d in devices) and
                       (not has_mounts or re.search(rb"^text proc/self/mounts$", first, re.M)) and
                       b"\ndir sys/block\n" in first,
                       f"{name}: every PCI device, the block devices{', the mounts' if has_mounts else ''}",
                       first[:2000])
                print(f"# {name}: {stats(first)}")
    tap.done()


if __name__ == "__main__":
    main()
