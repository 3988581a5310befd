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
         [no-group-dir] [caps=LIST] [reset-method=M] [boot-vga]
                               a PCI function; header is config byte 0x0e
                               (0x80: multifunction, 0x01: bridge); no-group-dir:
                               its group has no sys/kernel/iommu_groups/N.
                               config is the 64 bytes a non-root reader gets, its
                               capability list starting past them; caps= gives
                               256 bytes with the capabilities listed: none, or
                               of pm (PM, soft reset), pm-nsr (PM, No_Soft_Reset),
                               exp (PCI Express, no FLR), exp-flr, af-flr;
                               reset-method= writes reset_method ('' for empty,
                               ',' between methods); boot-vga writes boot_vga 1
  block NAME dev=MAJ:MIN [device=BDF] [slaves=A,B] [dm-name=N]
                               a disk: below the PCI device (DEV/block/NAME) or
                               in sys/devices/virtual/block, sys/block/NAME,
                               slaves/ and the slaves' holders/ links
  partition NAME disk=DISK dev=MAJ:MIN
                               a partition of a disk declared before
  mount SOURCE MOUNTPOINT [dev=MAJ:MIN]
                               a line of proc/self/mountinfo and proc/self/mounts
  no-mountinfo                 no proc/self/mountinfo (proc/self/mounts only)
  swap SOURCE                  a line of proc/swaps
  net NAME device=BDF [sub=DIR]
                               a network interface below the device
                               (DEV/[DIR/]net/NAME) and sys/class/net/NAME
  route IFACE [v6]             a default route on IFACE (proc/net/route or ipv6_route)
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


CAPS = {  # id, then the bytes after the id and next pointer (from offset 2)
    "pm": (0x01, bytes([0x03, 0x00, 0x00, 0x00])),          # PMC; PMCSR 0: soft reset
    "pm-nsr": (0x01, bytes([0x03, 0x00, 0x08, 0x00])),      # PMCSR No_Soft_Reset
    "exp": (0x10, bytes([0x02, 0x00]) + struct.pack("<I", 0)),
    "exp-flr": (0x10, bytes([0x02, 0x00]) + struct.pack("<I", 1 << 28)),  # DevCap FLR
    "af-flr": (0x13, bytes([0x06, 0x03, 0x00, 0x00])),      # AF length 6; TP and FLR
}


def config_space(vendor, device, sv, sd, cls, header, caps):
    """The head of config space: 64 bytes with the capability list past
    them (what a reader that is not root gets), or with caps= all 256."""
    cfg = bytearray(64 if caps is None else 256)
    struct.pack_into("<HH", cfg, 0, vendor, device)
    cfg[9], cfg[10], cfg[11] = cls & 0xff, (cls >> 8) & 0xff, cls >> 16
    cfg[0x0e] = header
    struct.pack_into("<HH", cfg, 0x2c, sv, sd)
    names = [] if caps in (None, "none") else caps.split(",")
    if caps is None or names:
        cfg[0x06] |= 0x10  # status: capabilities list
        cfg[0x34] = 0x40
    pos = 0x40
    for i, name in enumerate(names):
        cap_id, body = CAPS[name]
        nxt = pos + 0x10 if i + 1 < len(names) else 0
        cfg[pos], cfg[pos + 1] = cap_id, nxt
        cfg[pos + 2:pos + 2 + len(body)] = body
        pos += 0x10
    return bytes(cfg)


def build_usage(out, paths, blocks, mounts, mountinfo, swaps, nets, routes):
    """Block devices, mounts, swaps, network interfaces and routes."""
    sys_ = os.path.join(out, "sys")
    where = {}
    for cmd, name, kv in blocks:
        if cmd == "partition":
            d = os.path.join(where[kv["disk"]], name)
            write(os.path.join(d, "partition"), "1\n")
        else:
            parent = os.path.join(paths[kv["device"].lower()], "block") if "device" in kv else \
                os.path.join(sys_, "devices", "virtual", "block")
            d = os.path.join(parent, name)
            rel_link(os.path.join(sys_, "block", name), d)
            if "dm-name" in kv:
                write(os.path.join(d, "dm", "name"), kv["dm-name"] + "\n")
            os.makedirs(os.path.join(d, "slaves"), exist_ok=True)
            os.makedirs(os.path.join(d, "holders"), exist_ok=True)
            for slave in filter(None, kv.get("slaves", "").split(",")):
                rel_link(os.path.join(d, "slaves", slave), where[slave])
                rel_link(os.path.join(where[slave], "holders", name), d)
        where[name] = d
        write(os.path.join(d, "dev"), kv["dev"] + "\n")
    if mounts:
        info = "".join(f"{20 + i} 1 {dev} / {mp} rw - ext4 {src} rw\n" for i, (src, mp, dev) in enumerate(mounts))
        if mountinfo:
            write(os.path.join(out, "proc", "self", "mountinfo"), info)
        write(os.path.join(out, "proc", "self", "mounts"),
              "".join(f"{src} {mp} ext4 rw 0 0\n" for src, mp, _ in mounts))
    if swaps:
        write(os.path.join(out, "proc", "swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
              "".join(f"{s}                               partition\t1048572\t\t0\t\t-2\n" for s in swaps))
    for name, kv in nets:
        d = os.path.join(paths[kv["device"].lower()], kv.get("sub", ""), "net", name)
        write(os.path.join(d, "ifindex"), "2\n")
        rel_link(os.path.join(sys_, "class", "net", name), d)
    v4 = [r for r, v6 in routes if not v6]
    v6 = [r for r, v6 in routes if v6]
    if routes:
        write(os.path.join(out, "proc", "net", "route"),
              "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
              "".join(f"{r}\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" for r in v4))
        write(os.path.join(out, "proc", "net", "ipv6_route"),
              "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
              "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n" +
              "".join(f"00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                      f"fe800000000000000000000000000001 00000400 00000001 00000000 00000003 {r:>8}\n" for r in v6))


def build(desc_path, out):
    base = os.path.dirname(os.path.abspath(desc_path))
    release = "6.12.0-hp"
    aliases, alias_files = [], []
    modules_alias = True
    group_dirs = True
    drivers, modules, devices, files, links, specials = {}, [], [], [], [], []
    blocks, mounts, swaps, nets, routes = [], [], [], [], []
    mountinfo = True
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
        elif cmd in ("block", "partition"):
            kv, _ = parse_kv(args[1:])
            blocks.append((cmd, args[0], kv))
        elif cmd == "mount":
            kv, _ = parse_kv(args[2:])
            mounts.append((args[0], args[1], kv.get("dev", "0:0")))
        elif cmd == "no-mountinfo":
            mountinfo = False
        elif cmd == "swap":
            swaps.append(args[0])
        elif cmd == "net":
            kv, _ = parse_kv(args[1:])
            nets.append((args[0], kv))
        elif cmd == "route":
            routes.append((args[0], "v6" in args[1:]))
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
            write(os.path.join(d, "config"), config_space(vendor, device, sv, sd, cls, header, kv.get("caps")))
        if "reset-method" in kv:
            method = kv["reset-method"].replace(",", " ")
            write(os.path.join(d, "reset_method"), method + "\n" if method else "\n")
        if "boot-vga" in flags:
            write(os.path.join(d, "boot_vga"), "1\n")
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
    build_usage(out, paths, blocks, mounts, mountinfo, swaps, nets, routes)
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
