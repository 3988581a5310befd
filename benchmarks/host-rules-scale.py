#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The host rules against the number of declared devices: linear?

    benchmarks/host-rules-scale.py [--bin build/tools/hostdev-preflight] [--sizes 2500,5000,10000,20000]

For each size N, writes a snapshot (the format of docs/snapshot-format.md,
so no tree of N devices is needed) of a host with N functions in N/8
multifunction slots, one IOMMU group per slot, and a domain that declares
functions 1..7 of every slot (function 0 left out: one
multifunction-incomplete per slot, each group walked once). Times
`validate --root SNAPSHOT` and `validate --no-host` on the same domain
(best of 3) and prints the host rules' share, per device. A script, never
a timed test: the suite checks what the findings are (tests/host.py).
"""
import argparse
import os
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def snapshot(n_slots):
    lines = ["hostdev-preflight-snapshot 1", "kernel-release 6.12.0-hp",
             "text lib/modules/6.12.0-hp/modules.alias", "| alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci"]
    for s in range(n_slots):
        dom, bus, slot = s // (256 * 32), (s // 32) % 256, s % 32
        group = s + 1
        for fn in range(8):
            bdf = f"{dom:04x}:{bus:02x}:{slot:02x}.{fn}"
            real = f"sys/devices/pci{dom:04x}:{bus:02x}/{bdf}"
            lines.append(f"link sys/bus/pci/devices/{bdf} ../../../devices/pci{dom:04x}:{bus:02x}/{bdf}")
            for attr, value in (("vendor", "0x14e4"), ("device", "0x1657"), ("class", "0x020000")):
                lines.append(f"file {real}/{attr} {value}\\n")
            cfg = bytearray(64)
            cfg[0x0e] = 0x80 if fn == 0 else 0
            lines.append(f"hex {real}/config {cfg.hex()}")
            lines.append(f"link {real}/iommu_group ../../../kernel/iommu_groups/{group}")
            lines.append(f"link sys/kernel/iommu_groups/{group}/devices/{bdf} ../../../../devices/pci{dom:04x}:{bus:02x}/{bdf}")
    return "\n".join(lines) + "\n"


def domain(n_slots):
    out = ["<domain type='kvm'>", "  <name>scale</name>", "  <devices>"]
    for s in range(n_slots):
        dom, bus, slot = s // (256 * 32), (s // 32) % 256, s % 32
        for fn in range(1, 8):
            out.append("    <hostdev mode='subsystem' type='pci' managed='yes'><source>"
                       f"<address domain='0x{dom:04x}' bus='0x{bus:02x}' slot='0x{slot:02x}' function='0x{fn}'/>"
                       "</source></hostdev>")
    out += ["  </devices>", "</domain>"]
    return "\n".join(out) + "\n"


def best(cmd, runs=3):
    times = []
    for _ in range(runs):
        t = time.monotonic()
        p = subprocess.run(cmd, capture_output=True)
        times.append(time.monotonic() - t)
        if p.returncode not in (0, 1):
            raise SystemExit(p.stderr.decode())
    return min(times), p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "tools", "hostdev-preflight"))
    ap.add_argument("--sizes", default="2500,5000,10000,20000")
    args = ap.parse_args()
    print(f"{'declared':>9} {'host fns':>9} {'--root':>8} {'--no-host':>9} {'host rules':>10} {'µs/device':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(x) for x in args.sizes.split(",")):
            n_slots = max(1, size // 7)
            snap = os.path.join(tmp, "host.snapshot")
            dom = os.path.join(tmp, "domain.xml")
            with open(snap, "w") as f:
                f.write(snapshot(n_slots))
            with open(dom, "w") as f:
                f.write(domain(n_slots))
            common = [args.bin, "validate", "--no-libvirt-schemas", "--format", "json"]
            with_host, out = best(common + ["--root", snap, dom])
            without, _ = best(common + ["--no-host", dom])
            assert out.count(b'"multifunction-incomplete"') == n_slots, "one finding per slot"
            host = with_host - without
            print(f"{n_slots * 7:>9} {n_slots * 8:>9} {with_host:>7.2f}s {without:>8.2f}s {host:>9.2f}s "
                  f"{host / (n_slots * 7) * 1e6:>9.1f}")


if __name__ == "__main__":
    main()
