#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds a fake host tree, in the kernel's shape, from a short description.

    mkhost.py DESC.host OUTDIR

A description is one directive a line ('#' starts a comment):

  release REL                  kernel release (lib/modules/REL), default 6.12.0-hp
  alias PATTERN MODULE         a line of lib/modules/REL/modules.alias
  alias-file PATH              modules.alias lines from a file (relative to DESC)
  no-modules-alias             no modules.alias at all
  no-group-dirs                no sys/kernel/iommu_groups (links stay, as in some snapshots)
  driver NAME [module=MOD]     a registered PCI driver; its module (default NAME
                               with '-' as '_') is loaded with drivers/pci:NAME
  module MOD                   a loaded module with no PCI driver
  device BDF vendor=V device=D [subsystem=SV:SD] [class=C] [driver=NAME]
         [group=N] [header=H] [physfn=BDF] [vfio-dev] [no-config] [parent=BDF]
         [no-group-dir]
                               a PCI function; header is config byte 0x0e
                               (0x80: multifunction, 0x01: bridge); no-group-dir:
                               its group has no sys/kernel/iommu_groups/N
  file PATH CONTENT            a raw file (CONTENT may use \\n, \\x00 escapes)
  sparse PATH SIZE             a file of SIZE bytes (K/M suffixes), all holes: a
                               file over a size limit, made in no time
  fifo PATH                    a FIFO (a reader that opens it would block)
  link PATH TARGET             a raw symbolic link, made last (replacing anything);
                               TARGET may use the escapes of file CONTENT

Devices live under sys/devices/pciDDDD:BB/ (or under their parent=), with
sys/bus/pci/devices/BDF links to them, driver and iommu_group links, group
directories, physfn/virtfnN links and the drivers' bind links.
"""
import os
import shlex
import shutil
import struct
import sys


def parse_kv(words):
    kv, flags = {}, set()
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            kv[k] = v
        else:
            flags.add(w)
    return kv, flags


def rel_link(path, target):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    os.symlink(os.path.relpath(target, os.path.dirname(path)), path)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def build(desc_path, out):
    base = os.path.dirname(os.path.abspath(desc_path))
    release = "6.12.0-hp"
    aliases, alias_files = [], []
    modules_alias = True
    group_dirs = True
    drivers, modules, devices, files, links, specials = {}, [], [], [], [], []
    for raw in open(desc_path):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith(("file ", "link ")) else raw.strip()
        if not line:
            continue
        if line.startswith(("file ", "link ")):
            # the rest of the line is the content, as written (escapes and all)
            words = line.split(None, 2)
        else:
            words = shlex.split(line)
        cmd, args = words[0], words[1:]
        if cmd == "release":
            release = args[0]
        elif cmd == "alias":
            aliases.append(" ".join(["alias"] + args))
        elif cmd == "alias-file":
            alias_files.append(os.path.join(base, args[0]))
        elif cmd == "no-modules-alias":
            modules_alias = False
        elif cmd == "no-group-dirs":
            group_dirs = False
        elif cmd == "driver":
            kv, _ = parse_kv(args[1:])
            drivers[args[0]] = kv.get("module", args[0].replace("-", "_"))
        elif cmd == "module":
            modules.append(args[0])
        elif cmd == "device":
            kv, flags = parse_kv(args[1:])
            devices.append((args[0].lower(), kv, flags))
        elif cmd == "file":
            files.append((args[0], args[1].encode().decode("unicode_escape").encode("latin-1")))
        elif cmd == "link":
            links.append((args[0], args[1]))
        elif cmd in ("sparse", "fifo"):
            specials.append((cmd, args))
        else:
            sys.exit(f"{desc_path}: unknown directive {cmd!r}")

    if os.path.exists(out):
        shutil.rmtree(out)
    sys_ = os.path.join(out, "sys")
    os.makedirs(os.path.join(sys_, "bus", "pci", "devices"))
    os.makedirs(os.path.join(sys_, "bus", "pci", "drivers"))
    if group_dirs:
        os.makedirs(os.path.join(sys_, "kernel", "iommu_groups"))
    for name, module in drivers.items():
        ddir = os.path.join(sys_, "bus", "pci", "drivers", name)
        os.makedirs(ddir)
        for f in ("bind", "unbind", "new_id", "remove_id"):
            write(os.path.join(ddir, f), "")
        mdir = os.path.join(sys_, "module", module)
        os.makedirs(os.path.join(mdir, "drivers"), exist_ok=True)
        rel_link(os.path.join(ddir, "module"), mdir)
        rel_link(os.path.join(mdir, "drivers", "pci:" + name), ddir)
    for module in modules:
        os.makedirs(os.path.join(sys_, "module", module), exist_ok=True)
    write(os.path.join(sys_, "bus", "pci", "drivers_probe"), "")

    paths = {}
    for bdf, kv, flags in devices:
        if "parent" in kv:
            parent = paths[kv["parent"].lower()]
        else:
            parent = os.path.join(sys_, "devices", "pci" + bdf[:7])
        paths[bdf] = os.path.join(parent, bdf)
    vfs = {}
    for bdf, kv, flags in devices:
        d = paths[bdf]
        os.makedirs(d, exist_ok=True)
        vendor, device = int(kv["vendor"], 16), int(kv["device"], 16)
        sv, sd = (int(x, 16) for x in kv.get("subsystem", f"{vendor:x}:{device:x}").split(":"))
        cls = int(kv.get("class", "0x020000"), 16)
        header = int(kv.get("header", "0x00"), 16)
        write(os.path.join(d, "vendor"), f"0x{vendor:04x}\n")
        write(os.path.join(d, "device"), f"0x{device:04x}\n")
        write(os.path.join(d, "subsystem_vendor"), f"0x{sv:04x}\n")
        write(os.path.join(d, "subsystem_device"), f"0x{sd:04x}\n")
        write(os.path.join(d, "class"), f"0x{cls:06x}\n")
        write(os.path.join(d, "driver_override"), "(null)\n")
        write(os.path.join(d, "modalias"),
              f"pci:v{vendor:08X}d{device:08X}sv{sv:08X}sd{sd:08X}bc{cls >> 16:02X}sc{(cls >> 8) & 0xff:02X}i{cls & 0xff:02X}\n")
        if "no-config" not in flags:
            cfg = bytearray(64)
            struct.pack_into("<HH", cfg, 0, vendor, device)
            cfg[9], cfg[10], cfg[11] = cls & 0xff, (cls >> 8) & 0xff, cls >> 16
            cfg[0x0e] = header
            struct.pack_into("<HH", cfg, 0x2c, sv, sd)
            write(os.path.join(d, "config"), bytes(cfg))
        rel_link(os.path.join(sys_, "bus", "pci", "devices", bdf), d)
        if "driver" in kv:
            ddir = os.path.join(sys_, "bus", "pci", "drivers", kv["driver"])
            if not os.path.isdir(ddir):
                sys.exit(f"{desc_path}: device {bdf}: declare 'driver {kv['driver']}' first")
            rel_link(os.path.join(d, "driver"), ddir)
            rel_link(os.path.join(ddir, bdf), d)
        if "group" in kv:
            gdir = os.path.join(sys_, "kernel", "iommu_groups", kv["group"])
            os.makedirs(os.path.join(gdir, "devices"), exist_ok=True)
            rel_link(os.path.join(d, "iommu_group"), gdir)
            if group_dirs and "no-group-dir" not in flags:
                rel_link(os.path.join(gdir, "devices", bdf), d)
            else:
                shutil.rmtree(gdir)
        if "vfio-dev" in flags:
            os.makedirs(os.path.join(d, "vfio-dev", "vfio0"))
        if "physfn" in kv:
            pf = kv["physfn"].lower()
            rel_link(os.path.join(d, "physfn"), paths[pf])
            n = vfs.get(pf, 0)
            rel_link(os.path.join(paths[pf], f"virtfn{n}"), d)
            vfs[pf] = n + 1
    if not group_dirs and os.path.isdir(os.path.join(sys_, "kernel", "iommu_groups")):
        shutil.rmtree(os.path.join(sys_, "kernel", "iommu_groups"))
    if modules_alias:
        text = "# Aliases extracted from modules themselves.\n"
        for f in alias_files:
            text += open(f).read()
        text += "".join(a + "\n" for a in aliases)
        write(os.path.join(out, "lib", "modules", release, "modules.alias"), text)
    for path, data in files:
        write(os.path.join(out, path), data)
    for cmd, args in specials:
        full = os.path.join(out, args[0])
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.lexists(full):
            os.unlink(full)
        if cmd == "fifo":
            os.mkfifo(full)
        else:
            size = args[1]
            mult = {"K": 1 << 10, "M": 1 << 20}.get(size[-1:], 1)
            with open(full, "wb") as f:
                f.truncate(int(size.rstrip("KM")) * mult)
    for path, target in links:
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.lexists(full):
            os.unlink(full) if not os.path.isdir(full) or os.path.islink(full) else shutil.rmtree(full)
        os.symlink(target.encode().decode("unicode_escape").encode("latin-1"), os.fsencode(full))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mkhost.py DESC.host OUTDIR")
    build(sys.argv[1], sys.argv[2])
