#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""validate on large domains: is the static path linear in the document?

    benchmarks/domain-scale.py [--bin build/tools/hostdev-preflight] [--schemas DIR]

Times `validate --no-host` (best of 3) on:
  one-line     a ~1 MB domain on one line, 5,000 host devices each with a
               pci-address-octal finding (positions of every finding, in
               characters; the old text search took 26 s on 514 KB)
  hostdevs-N   N host devices (10k, 20k) across slots, with duplicates and
               guest addresses (the static rules; 20k once took 13 s)
  metadata     128k small elements in <metadata>, against libvirt's grammar
               when installed (once 34 s)
  dev-zero     /dev/zero: refused at 10 MiB + 1 byte, domain-too-large
Speed is measured here, never in a timed test.
"""
import argparse
import os
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_line(n=5000):
    parts = ["<domain type='kvm'><name>one-line</name><devices>"]
    for i in range(n):
        parts.append(f"<!-- \u00e9t\u00e9 {i} --><hostdev mode='subsystem' type='pci' managed='yes'>"
                     f"<source><address domain='0x{i:04x}' bus='010' slot='0x01' function='0x0'/></source>"
                     f"<address type='pci' domain='0x0000' bus='0x01' slot='0x{(i // 8) % 32:02x}' function='0x{i % 8:x}'/></hostdev>")
    parts.append("</devices></domain>")
    return "".join(parts)


def hostdevs(n):
    out = ["<domain type='kvm'>\n  <name>many</name>\n  <devices>\n"]
    mf = " multifunction='on'"
    for i in range(n):
        slot, f = divmod(i, 8)
        out.append(f"    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                   f"      <source><address domain='0x{slot // 8192:04x}' bus='0x{(slot // 32) % 256:02x}' slot='0x{slot % 32:02x}' function='0x{f if i % 100 else 0:x}'/></source>\n"
                   f"      <address type='pci' domain='0x{1 + slot // 8192:04x}' bus='0x{(slot // 32) % 256:02x}' slot='0x{slot % 32:02x}' function='0x{f:x}'{mf if f == 0 else ''}/>\n"
                   f"    </hostdev>\n")
    out.append("  </devices>\n</domain>\n")
    return "".join(out)


def metadata(n=128 * 1024):
    return ("<domain type='kvm'>\n  <name>meta</name>\n  <memory>1048576</memory>\n  <os><type>hvm</type></os>\n"
            "  <metadata><m:x xmlns:m='urn:x'>" + "<m:e/>" * n + "</m:x></metadata>\n</domain>\n")


def best_of(cmd, runs=3):
    best, rc = None, None
    for _ in range(runs):
        t = time.monotonic()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        d = time.monotonic() - t
        rc = p.returncode
        best = d if best is None else min(best, d)
    return best, rc, p.stdout.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "tools", "hostdev-preflight"))
    ap.add_argument("--schemas", default="/usr/share/libvirt/schemas")
    args = ap.parse_args()
    have_libvirt = os.path.exists(os.path.join(args.schemas, "domain.rng"))
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("one-line", one_line(), False), ("hostdevs-10k", hostdevs(10000), False),
                 ("hostdevs-20k", hostdevs(20000), False), ("metadata", metadata(), have_libvirt)]
        for name, text, libvirt in cases:
            path = os.path.join(tmp, name + ".xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            grammar = ["--libvirt-schemas", args.schemas] if libvirt else ["--no-libvirt-schemas"]
            secs, rc, out = best_of([args.bin, "validate", "--no-host", *grammar, path])
            print(f"{name:14} {os.path.getsize(path) / 1e6:6.2f} MB  {out.count(chr(10)):6} findings  "
                  f"exit {rc}  {secs:7.3f} s{'  (libvirt grammar)' if libvirt else ''}")
        secs, rc, out = best_of([args.bin, "validate", "--no-host", "--no-libvirt-schemas", "/dev/zero"])
        print(f"{'dev-zero':14} {'':9}  {out.strip()[:60]}  exit {rc}  {secs:7.3f} s")


if __name__ == "__main__":
    main()
