#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Does the cost follow the domain, not the host? Counted in instructions
(valgrind's callgrind), which repeat on a noisy machine.

    benchmarks/scale-callgrind.py [--bin build/tools/hostdev-preflight]

Generates hosts with 512 and 4,096 PCI functions (SR-IOV PFs with 63 VFs
each, 4-function cards sharing a group) with the real 27k-line modules.alias,
and domains with 1, 16 and 256 host devices present on both. Targets:
  same domain, 4,096-function host / 512-function host   <= 1.3x
  256 devices / 1 device, same host                       <= 300x
  modules.alias parsed once a run, whatever the devices
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "hosts"))
sys.path.insert(0, os.path.join(TOP, "benchmarks"))
import mkhost  # noqa: E402
from importlib import import_module  # noqa: E402

scale = import_module("host-scale")


def callgrind(cmd, tmp):
    out = os.path.join(tmp, "cg.out")
    p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd,
                       capture_output=True, text=True)
    text = open(out).read()
    total = int(re.search(r"^(?:summary|totals): (\d+)", text, re.M).group(1))
    # calls of the modules.alias parser; callgrind names a function once,
    # "(id) name", and by "(id)" alone after that
    names, calls = {}, 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?$", line)
        if not m:
            continue
        if m.group(2):
            names[m.group(1)] = m.group(2)
        if line.startswith("cfn=") and "hp_modalias_new_from_data" in names.get(m.group(1), ""):
            c = re.match(r"calls=(\d+)", lines[i + 1])
            calls += int(c.group(1)) if c else 0
    os.unlink(out)
    return total, p.returncode, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "tools", "hostdev-preflight"))
    ap.add_argument("--data", default=os.path.join(TOP, "tests", "data"))
    a = ap.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("needs valgrind")
    alias = os.path.abspath(os.path.join(a.data, "kernel", "modules.alias.6.12.107+deb12-amd64"))
    with tempfile.TemporaryDirectory() as tmp:
        hosts = {}
        vfs = None
        for n in (512, 4096):
            desc, v, _ = scale.host_description(n)
            desc = f"alias-file {alias}\n" + desc
            path = os.path.join(tmp, f"h{n}.host")
            with open(path, "w") as f:
                f.write(desc)
            hosts[n] = os.path.join(tmp, f"root{n}")
            mkhost.build(path, hosts[n])
            vfs = v if vfs is None else vfs
        domains = {}
        for k in (1, 16, 256):
            domains[k] = os.path.join(tmp, f"vm{k}.xml")
            with open(domains[k], "w") as f:
                f.write(scale.domain(vfs[:k]))
        res = {}
        print("instructions (callgrind), --no-libvirt-schemas:")
        for cmd in ("validate", "plan"):
            for n in (512, 4096):
                for k in (1, 16, 256):
                    args = [a.bin, cmd, "--no-libvirt-schemas", "--root", hosts[n], "--kernel-release", "6.12.0-hp"]
                    if cmd == "plan":
                        args += ["--format", "json"]
                    total, rc, parses = callgrind(args + [domains[k]], tmp)
                    res[(cmd, n, k)] = total
                    print(f"  {cmd:8s} host {n:5d} functions, {k:3d} devices: {total:14,d}  (exit {rc}, "
                          f"modules.alias parsed {parses}x)")
        ok = True
        print("ratios (target):")
        for cmd in ("validate", "plan"):
            for k in (1, 16, 256):
                r = res[(cmd, 4096, k)] / res[(cmd, 512, k)]
                ok &= r <= 1.3
                print(f"  {cmd:8s} {k:3d} devices: 4096-function host / 512-function host = {r:5.2f}x (<= 1.3x)")
            for n in (512, 4096):
                r = res[(cmd, n, 256)] / res[(cmd, n, 1)]
                ok &= r <= 300
                print(f"  {cmd:8s} host {n}: 256 devices / 1 device = {r:6.1f}x (<= 300x)")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
