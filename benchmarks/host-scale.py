#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""validate against a large generated host: does the cost follow the domain's
devices rather than the host's?

    benchmarks/host-scale.py [--bin build/tools/hostdev-preflight] [--functions 4096] [--devices 64]

Builds a host tree (SR-IOV PFs with VFs, each VF in its own IOMMU group, and
4-function multifunction cards sharing a group) and a domain with N of its
functions, then times `validate --root` (best of 5). --keep DIR keeps the
tree (mkhost takes about a minute for 10,000 functions) for later runs.

Measured (2 shared cores, issue 8 item 9): 10,000 host devices against a
10,240-function host, 2.8 s in all, of which 0.7 s the static rules
(--no-host); the host rules scale linearly (2,500: 0.9 s, 5,000: 1.7 s);
before the slot index: 5.5 s. What is left is the cost of reading each
device (about 170 system calls; the speed issue's).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "hosts"))
import mkhost  # noqa: E402


def host_description(functions):
    """Returns (description text, list of VF addresses, list of card function addresses)."""
    lines = ["driver mlx5_core", "driver vfio-pci module=vfio_pci", "driver tg3",
             "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci",
             "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci"]
    vfs, cards, group, n, bus = [], [], 1, 0, 1
    while n < functions:
        if bus % 4 == 0:  # a 4-function card, one group
            for f in range(4):
                a = f"0000:{bus:02x}:00.{f}"
                lines.append(f"device {a} vendor=14e4 device=1657 driver=tg3 group={group} header=0x80")
                cards.append(a)
            group += 1
            n += 4
        else:  # a PF and 63 VFs at functions 00.1 .. 07.7
            pf = f"0000:{bus:02x}:00.0"
            lines.append(f"device {pf} vendor=15b3 device=101d driver=mlx5_core group={group} header=0x80")
            group += 1
            n += 1
            for i in range(1, 64):
                if n >= functions:
                    break
                a = f"0000:{bus:02x}:{i // 8:02x}.{i % 8}"
                lines.append(f"device {a} vendor=15b3 device=101e group={group} physfn={pf}")
                vfs.append(a)
                group += 1
                n += 1
        bus += 1
        if bus > 0xff:
            break
    return "\n".join(lines) + "\n", vfs, cards


def domain(addrs):
    out = ["<domain type='kvm'>", "  <name>scale</name>", "  <devices>"]
    for a in addrs:
        d, b, rest = a.split(":")
        s, f = rest.split(".")
        out.append(f"    <hostdev mode='subsystem' type='pci' managed='yes'><source>"
                   f"<address domain='0x{d}' bus='0x{b}' slot='0x{s}' function='0x{f}'/></source></hostdev>")
    out += ["  </devices>", "</domain>", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "tools", "hostdev-preflight"))
    ap.add_argument("--functions", type=int, default=4096)
    ap.add_argument("--devices", type=int, default=64)
    ap.add_argument("--keep", metavar="DIR", help="build the tree in DIR and keep it (reused when there)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = a.keep or tmpdir
        os.makedirs(tmp, exist_ok=True)
        desc, vfs, cards = host_description(a.functions)
        with open(os.path.join(tmp, "big.host"), "w") as f:
            f.write(desc)
        t0 = time.perf_counter()
        if not (a.keep and os.path.isdir(os.path.join(tmp, "root"))):
            mkhost.build(os.path.join(tmp, "big.host"), os.path.join(tmp, "root"))
        nfun = len(os.listdir(os.path.join(tmp, "root", "sys", "bus", "pci", "devices")))
        print(f"host: {nfun} PCI functions (built in {time.perf_counter() - t0:.1f} s)")
        picked = cards[: a.devices // 2] + vfs[: a.devices - min(len(cards), a.devices // 2)]
        xml = os.path.join(tmp, "vm.xml")
        with open(xml, "w") as f:
            f.write(domain(picked))
        cmd = [a.bin, "validate", "--no-libvirt-schemas", "--root", os.path.join(tmp, "root"),
               "--kernel-release", "6.12.0-hp", xml]
        best = None
        for _ in range(5):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        print(f"validate, {len(picked)} host devices: {best * 1000:.1f} ms (best of 5), exit {p.returncode}")
        if p.stdout:
            print(p.stdout[:2000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
