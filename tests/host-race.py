#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A host tree changed while it is read never leads out of its root (SPEC
section 8), through the real binary.

A swapper process exchanges, atomically and over and over, a directory on
every path the host rules read (the device's parent directory, its driver's
directory, its IOMMU group) with a symbolic link to a copy of it outside the
root. Meanwhile `validate` and `capture` read the tree 200 times, half with
openat2 and half with the component walk (HOSTDEV_PREFLIGHT_NO_OPENAT2=1),
each under `strace -f -y -e trace=openat,openat2,open`, which prints the
real path of every descriptor opened. No descriptor may ever name the
outside copy, and nothing of it (its vendor 0xdead) may reach the output.

The property holds whatever the timing, so the test cannot flake; a
resolve-then-open reader (the code before this one) opens the outside copy
in most runs. HP_RACE_RUNS changes the number of runs."""
import ctypes
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import BIN, SRCDIR, WRAP, Tap  # noqa: E402
import mkhost  # noqa: E402

RUNS = int(os.environ.get("HP_RACE_RUNS", "20" if WRAP else "200"))  # memcheck is slow
REL = "6.12.0-hp"
RENAME_EXCHANGE = 2
AT_FDCWD = -100

DESC = """
driver e1000e
device 0000:01:00.0 vendor=8086 device=10d3 driver=e1000e group=1
device 0000:01:00.1 vendor=8086 device=10d3 driver=e1000e group=1
"""

DOMAIN = """<domain type='kvm'>
  <name>race</name>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
"""


def swapper(pairs, stop):
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = libc.renameat2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    swaps = 0
    enc = [(a.encode(), b.encode()) for a, b in pairs]
    while not stop.is_set():
        for a, b in enc:
            if renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0:
                swaps += 1
    # leave the tree as it was found: an even number of exchanges of each pair
    print(f"# swapper: {swaps} exchanges", flush=True)


def build(tmp):
    """The root, the outside copies, and the pairs the swapper exchanges."""
    root = os.path.join(tmp, "root")
    outside = os.path.join(tmp, "outside")
    desc = os.path.join(tmp, "race.host")
    with open(desc, "w") as f:
        f.write(DESC)
    mkhost.build(desc, root)
    pairs = []
    for rel in ("sys/devices/pci0000:01", "sys/bus/pci/drivers/e1000e", "sys/kernel/iommu_groups/1"):
        inside = os.path.join(root, rel)
        copy = os.path.join(outside, rel)
        shutil.copytree(inside, copy, symlinks=True)
        # the copy is what an escaped reader would see: another vendor
        for d, _, files in os.walk(copy):
            if "vendor" in files:
                with open(os.path.join(d, "vendor"), "w") as f:
                    f.write("0xdead\n")
        alt = inside + ".alt"
        # a relative link for the device directory (up out of the root and
        # down into the copy), an absolute one for the others
        target = "../" * rel.count("/") + "../outside/" + rel if rel.startswith("sys/devices") else copy
        assert os.path.realpath(os.path.join(os.path.dirname(inside), target)) == os.path.realpath(copy)
        os.symlink(target, alt)
        pairs.append((inside, alt))
    return root, outside, pairs


def traced(args, env, log):
    cmd = ["strace", "-f", "-y", "-qq", "-e", "trace=openat,openat2,open", "-o", log] + WRAP + [BIN] + args
    e = dict(os.environ, LC_ALL="C.UTF-8")
    e.update(env)
    # LeakSanitizer cannot run under ptrace; the other tests look for leaks
    if "ASAN_OPTIONS" in e:
        e["ASAN_OPTIONS"] += ":detect_leaks=0"
    return subprocess.run(cmd, capture_output=True, env=e, timeout=120)


def main():
    tap = Tap()
    if not shutil.which("strace"):
        tap.ok(False, "strace is installed (the race test needs it: apt-get install strace)")
        tap.done()
    with tempfile.TemporaryDirectory() as tmp:
        root, outside, pairs = build(tmp)
        dom = os.path.join(tmp, "race.xml")
        with open(dom, "w") as f:
            f.write(DOMAIN)
        # the trace sees what it must: an untroubled run opens the inside files
        log = os.path.join(tmp, "calm.log")
        p = traced(["validate", "--no-libvirt-schemas", "--format", "json", "--root", root, "--kernel-release", REL, dom],
                   {}, log)
        calm = open(log).read()
        calm_rules = sorted(d["rule"] for d in json.loads(p.stdout)["files"][0]["diagnostics"])
        tap.ok(p.returncode in (0, 1) and f"<{root}/sys/devices/pci0000:01/0000:01:00.0/vendor>" in calm,
               "strace -y shows the real path of every file opened", calm[-2000:] + p.stderr.decode())

        stop = multiprocessing.Event()
        proc = multiprocessing.Process(target=swapper, args=(pairs, stop))
        proc.start()
        escaped, bad_exit, leaked, swapped_runs = [], [], [], 0
        started = time.monotonic()
        try:
            for i in range(RUNS):
                env = {"HOSTDEV_PREFLIGHT_NO_OPENAT2": "1" if i % 2 else "0"}
                log = os.path.join(tmp, f"run{i}.log")
                if i % 4 == 3:
                    args = ["capture", "--root", root, "--kernel-release", REL]
                else:
                    args = ["validate", "--no-libvirt-schemas", "--format", "json", "--root", root,
                            "--kernel-release", REL, dom]
                p = traced(args, env, log)
                out = p.stdout.decode("utf-8", "replace")
                trace = open(log).read()
                os.unlink(log)
                # every path strace names: arguments and the descriptors' real paths
                hits = [ln for ln in trace.splitlines() if outside in ln]
                if hits:
                    escaped.append((i, args[0], env, hits[:3]))
                # a capture that meets a thing twice, changed, says so and exits 2
                capture_changed = p.returncode == 2 and b"changed while it was captured" in p.stderr
                if p.returncode not in (0, 1) if args[0] == "validate" else not (p.returncode == 0 or capture_changed):
                    bad_exit.append((i, args[0], p.returncode, p.stderr.decode()[-500:]))
                if "dead" in out:
                    leaked.append((i, args[0], out[:500]))
                if args[0] == "validate" and p.returncode in (0, 1):
                    rules = sorted(d["rule"] for d in json.loads(out)["files"][0]["diagnostics"])
                    swapped_runs += rules != calm_rules
        finally:
            stop.set()
            proc.join()
        took = time.monotonic() - started
        print(f"# {RUNS} runs in {took:.1f} s; {swapped_runs} validate runs met a changed tree")
        print(f"# {len(escaped)} of {RUNS} runs opened something outside the root")
        tap.ok(not escaped, f"{RUNS} reads of a tree swapped under them (openat2 and walk, validate and capture): "
               "nothing outside the root is ever opened",
               "\n".join(f"run {i} {cmd} {env}: {h}" for i, cmd, env, h in escaped[:5]))
        tap.ok(not leaked, "nothing of the outside copy reaches the output", str(leaked[:3]))
        tap.ok(not bad_exit, "every run exits as it should (validate 0 or 1; capture 0, or 2 saying the host changed), no crash", str(bad_exit[:3]))
        tap.ok(swapped_runs > 0, f"the swapper changed the tree under some runs ({swapped_runs})")
        # the tree is back as it was, so the check is the check of the calm tree
        for inside, alt in pairs:
            if os.path.islink(inside):
                os.rename(inside, inside + ".tmp")
                os.rename(alt, inside)
                os.rename(inside + ".tmp", alt)
        tap.ok(all(os.path.isdir(a) and not os.path.islink(a) for a, _ in pairs), "the tree is whole again")
    tap.done()


if __name__ == "__main__":
    main()
