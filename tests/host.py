#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host checks through the real binary: the skip note, --root errors, hostile
host trees, special files, hostile names, this machine's real /sys, and real
machines' snapshots (tests/data/hosts-real, copied from ../shared: the suite
needs nothing outside the repository)."""
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import DATA, SRCDIR, Tap, hostdev_domain, run  # noqa: E402
import mkhost  # noqa: E402

HOSTS = os.path.join(SRCDIR, "tests", "hosts")
NOLV = ["--no-libvirt-schemas"]


def domain(addrs, managed="yes"):
    return hostdev_domain(addrs, managed)


def domain_of(devs):
    """A domain from DEV[/interface][/unassigned] words."""
    out = ""
    for w in devs:
        a, *flags = w.split("/")
        d, b, rest = a.split(":")
        s, f = rest.split(".")
        addr = f"<address type='pci' domain='0x{d}' bus='0x{b}' slot='0x{s}' function='0x{f}'/>"
        if "interface" in flags:
            out += f"    <interface type='hostdev' managed='yes'>\n      <source>{addr}</source>\n    </interface>\n"
        else:
            assigned = " assigned='no'" if "unassigned" in flags else ""
            plain = addr.replace("type='pci' ", "")
            out += (f"    <hostdev mode='subsystem' type='pci' managed='yes'{assigned}>\n"
                    f"      <source>{plain}</source>\n    </hostdev>\n")
    return f"<domain type='kvm'>\n  <name>t</name>\n  <devices>\n{out}  </devices>\n</domain>\n"


# The host-safety rules on tests/hosts/safety.host and sriov.host: the
# devices declared, then every finding expected (rule@device:severity),
# modules-alias findings aside. Each rule trips and passes.
SAFETY = [
    ("safety", ["0000:00:1c.0"], ["host-device-not-endpoint@0000:00:1c.0:error", "host-device-in-use@0000:00:1c.0:error"],
     "a root port: not an endpoint, and the disk behind it holds /"),
    ("safety", ["0000:01:00.0"], ["host-device-in-use@0000:01:00.0:error"],
     "an NVMe disk whose partition is an LVM PV under / (mountinfo major:minor, through slaves)"),
    ("safety", ["0000:00:17.0"], ["host-device-in-use@0000:00:17.0:error"], "a SATA disk with active swap"),
    ("safety", ["0000:00:18.0"], [], "a SATA controller whose disk nothing uses"),
    ("safety", ["0000:02:00.0"], ["host-device-in-use@0000:02:00.0:warning"], "the NIC of the default route"),
    ("safety", ["0000:03:00.0"], [], "a NIC without the default route"),
    ("safety", ["0000:00:02.0"], ["host-device-in-use@0000:00:02.0:warning"], "the boot VGA device, bound"),
    ("safety", ["0000:04:00.0"], [], "a GPU that is not the boot VGA"),
    ("safety", ["0000:05:00.0"], ["iommu-group-not-viable@0000:06:00.0:error", "host-device-in-use@0000:06:00.0:error"],
     "a group member detached with the device holds /data"),
    ("safety", ["0000:0c:00.0", "0000:0c:00.1/unassigned"], ["host-device-in-use@0000:0c:00.1:error"],
     "an unassigned function is detached too"),
    ("reset-kernel", ["0000:00:07.0"], ["device-reset-unavailable@0000:00:07.0:warning"], "reset_method empty"),
    ("reset-kernel", ["0000:00:06.0"], [], "reset_method 'flr'"),
    ("reset-kernel", ["0000:08:01.0"], [], "reset_method 'bus'"),
    ("reset-kernel", ["0000:00:05.0"], ["device-reset-unavailable@0000:00:05.0:warning"],
     "no reset_method on a kernel that has it, on the root bus"),
    ("reset-kernel", ["0000:00:08.0"], ["device-reset-unavailable@0000:00:08.0:warning"],
     "no reset_method on a kernel that has it: the kernel's verdict, whatever config says"),
    ("reset-kernel", ["0000:08:02.0"], ["device-reset-unavailable@0000:08:02.0:warning"],
     "no reset_method, behind a bridge, its bus shared with an undeclared device"),
    ("reset-kernel", ["0000:08:01.0", "0000:08:02.0"], [], "no reset_method, behind a bridge, its bus all declared"),
    ("safety", ["0000:00:05.0"], ["device-reset-unavailable@0000:00:05.0:warning"],
     "an old kernel: no capabilities, on the root bus"),
    # an old kernel, capabilities past the 64 bytes every reader (and a
    # snapshot) has: the check cannot know, and says nothing
    ("safety", ["0000:00:06.0"], [], "an old kernel: a PM capability, past config's first 64 bytes"),
    ("safety", ["0000:00:07.0"], [], "an old kernel: PM with No_Soft_Reset, past config's first 64 bytes"),
    ("safety", ["0000:00:08.0"], [], "an old kernel: an Advanced Features FLR, past config's first 64 bytes"),
    ("safety", ["0000:08:01.0"], ["device-reset-unavailable@0000:08:01.0:warning"],
     "behind a bridge, but its bus holds a device that stays with the host"),
    ("safety", ["0000:08:01.0", "0000:08:02.0"], [], "behind a bridge, its bus all declared: a bus reset"),
    ("safety", ["0000:0a:00.0"], ["multifunction-partial@0000:0a:00.1:warning"],
     "an undeclared function alone in its group: partial, a warning"),
    ("safety", ["0000:0b:00.0"], ["multifunction-incomplete@0000:0b:00.1:error"],
     "an undeclared function in the declared one's group: incomplete, an error"),
    ("sriov", ["0000:03:00.2/interface"], [], "<interface type='hostdev'> on a VF"),
    ("sriov", ["0000:03:00.0/interface", "0000:03:00.1"], ["interface-hostdev-not-vf@0000:03:00.0:error"],
     "<interface type='hostdev'> on the PF"),
    ("sriov", ["0000:03:00.0", "0000:03:00.1"],
     ["host-device-in-use@0000:03:00.0:warning"], "a PF with its VFs enabled: vfio-pci would refuse it"),
]


# Per real snapshot: the controller of its mounted disk (read from its
# sys/block links and proc/self/mounts by hand), and a device without one
# (the snapshot that has no proc/self/mounts is left out).
SNAPSHOT_DISKS = {
    "linux-amd64-415ee03b8c4d1c4f07ae2e9d8b3d3d6d": ("0000:04:00.0", "0000:00:02.0"),  # nvme0n1p2 /boot
    "linux-amd64-8581cf3a529e5d8b97ea876eade2f60d": ("0000:03:00.0", "0000:00:1f.2"),  # sda2 /boot; 1f.2 holds sr0 only
    "linux-amd64-accel-nvidia": ("0000:02:00.0", "0000:00:01.0"),  # sda15 /boot/efi
    "linux-amd64-accel": ("0000:04:00.0", "0000:00:1f.2"),  # vda2 /boot; 1f.2 holds sr0 only
}


def validate(args, xml, env=None):
    rc, out, err = run(["validate", "--format", "json"] + NOLV + args + ["-"], stdin=xml.encode(), env=env)
    try:
        diags = json.loads(out)["files"][0]["diagnostics"]
    except (ValueError, KeyError, IndexError):
        diags = None
    return rc, diags, out, err


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        bcm = os.path.join(tmp, "bcm5719")
        mkhost.build(os.path.join(HOSTS, "bcm5719.host"), bcm)

        # --- no PCI sysfs and no --root: one note, not an error
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        rc, diags, out, err = validate([], domain(["0000:01:00.0"]), env={"HOSTDEV_PREFLIGHT_DEFAULT_ROOT": empty})
        tap.ok(rc == 0 and [d["rule"] for d in diags] == ["host-checks-skipped"] and diags[0]["severity"] == "note",
               "no PCI sysfs: host-checks-skipped note, exit 0", out + err)
        rc, diags, out, err = validate(["--no-host"], domain(["0000:01:00.0"]), env={"HOSTDEV_PREFLIGHT_DEFAULT_ROOT": empty})
        tap.ok(rc == 0 and diags == [], "--no-host: silent", out + err)
        rc, diags, out, err = validate(["--root", empty], domain(["0000:01:00.0", "0000:02:00.0"]))
        # the library gives one answer (hp_host_has_pci); until the command line
        # uses it, each device is not found
        tap.ok((rc == 2 and "sys/bus/pci/devices" in err and err.count("\n") == 1)
               or (rc == 1 and [d["rule"] for d in diags] == ["host-device-not-found"] * 2),
               "--root without PCI sysfs: one usage error (or each device not found)", out + err)
        rc, diags, out, err = validate(["--root", os.path.join(tmp, "nope")], domain(["0000:01:00.0"]))
        tap.ok(rc == 2 and "nope" in err, "--root that does not exist: exit 2", err)
        rc, diags, out, err = validate(["--root", empty, "--no-host"], domain(["0000:01:00.0"]))
        tap.ok(rc == 2, "--root with --no-host: exit 2", err)

        # --- plan refuses a domain that does not validate against the host
        xml = domain(["0001:09:00.0"])
        rc, out, err = run(["plan", "--no-libvirt-schemas", "--root", bcm, "--kernel-release", "6.12.0-hp", "-"],
                           stdin=xml.encode())
        tap.ok(rc == 1 and out == "" and "[multifunction-incomplete]" in err and "no plan" in err,
               "plan refuses a domain with errors: exit 1, the errors, no plan", out + err)
        rc, out, err = run(["plan", "--no-host", "-"], stdin=xml.encode())
        tap.ok(rc == 2, "plan --no-host: exit 2", err)
        rc, out, err = run(["plan", "--no-libvirt-schemas", "-"], stdin=xml.encode(),
                           env={"HOSTDEV_PREFLIGHT_DEFAULT_ROOT": empty})
        tap.ok(rc == 2 and "no plan" in err, "plan with no PCI sysfs: exit 2, said", err)
        rc, out, err = run(["plan", "--format", "sarif", "--root", bcm, "-"], stdin=xml.encode())
        tap.ok(rc == 2, "plan --format sarif: exit 2", err)

        # --- without a pci.ids, devices are named by their IDs
        rc, diags, out, err = validate(["--root", bcm, "--kernel-release", "6.12.0-hp"], domain(["0001:09:00.0"]),
                                       env={"HOSTDEV_PREFLIGHT_PCI_IDS": ""})
        tap.ok(rc == 1 and "0001:09:00.1 ([14e4:1657], bound to tg3)" in out, "no pci.ids: [vendor:device] names", out)

        # --- the JSON device field names the device the finding is about
        rc, diags, out, err = validate(["--root", bcm, "--kernel-release", "6.12.0-hp"], domain(["0001:09:00.0", "0001:09:00.1"]))
        devs = sorted(d["device"] for d in diags if d["rule"] == "multifunction-incomplete")
        tap.ok(rc == 1 and devs == ["0001:09:00.2", "0001:09:00.3"],
               "multifunction-incomplete names each missing function", out)
        shared = os.path.join(tmp, "gpu-shared")
        mkhost.build(os.path.join(HOSTS, "gpu-shared.host"), shared)
        rc, diags, out, err = validate(["--root", shared, "--kernel-release", "6.12.0-hp"], domain(["0000:01:00.0", "0000:01:00.1"]))
        tap.ok(rc == 1 and [(d["rule"], d.get("device")) for d in diags or []] == [("iommu-group-not-viable", "0000:02:00.0")],
               "iommu-group-not-viable names the offending member", out)

        # --- the host-safety rules
        built = {"bcm5719": bcm}
        for host, devs, want, what in SAFETY:
            if host not in built:
                built[host] = os.path.join(tmp, host)
                mkhost.build(os.path.join(HOSTS, host + ".host"), built[host])
            rc, diags, out, err = validate(["--root", built[host], "--kernel-release", "6.12.0-hp"], domain_of(devs))
            got = sorted(f"{d['rule']}@{d.get('device')}:{d['severity']}" for d in diags or []
                         if d["rule"] != "modules-alias-missing")
            errors = any(w.endswith(":error") for w in want)
            tap.ok(got == sorted(want) and rc == (1 if errors else 0), f"{host}: {what}", out + err)
        rc, diags, out, err = validate(["--root", built["safety"], "--kernel-release", "6.12.0-hp"], domain_of(["0000:05:00.0"]))
        msg = [d["message"] for d in diags or [] if d["rule"] == "host-device-in-use"]
        tap.ok(msg and "0000:06:00.0" in msg[0] and "0000:05:00.0" in msg[0] and "/dev/sdc1 mounted on /data" in msg[0],
               "a member detached with the device: the message names both and the mount", out)
        rc, diags, out, err = validate(["--root", built["safety"], "--kernel-release", "6.12.0-hp"], domain_of(["0000:01:00.0"]))
        tap.ok("/dev/mapper/vg-root mounted on /" in out and "/dev/nvme0n1p1 mounted on /boot/efi" in out,
               "host-device-in-use names what is mounted where", out)

        # --- hostile host trees: a finding each, nothing read outside the root
        hostile = os.path.join(tmp, "hostile")
        mkhost.build(os.path.join(HOSTS, "hostile.host"), hostile)
        alias = os.path.join(hostile, "lib", "modules", "6.12.0-hp", "modules.alias")
        with open(alias, "ab") as f:
            f.write(b"alias " + b"x" * (1 << 20) + b" huge\n\x00\x01\x02\xff\xfe junk\n")
        addrs = ["0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:04:00.0", "0000:05:00.0"]
        rc, diags, out, err = validate(["--root", hostile, "--kernel-release", "6.12.0-hp"], domain(addrs, managed="no"))
        tap.ok(rc == 1 and diags is not None and "AddressSanitizer" not in err, "hostile tree: exit 1, no crash", out + err)
        malformed = [d for d in diags or [] if d["rule"] == "host-file-malformed"]
        alias_notes = [d for d in malformed if "modules.alias:" in d["message"]]
        tap.ok(len(alias_notes) == 1 and "1 line is not 'alias PATTERN MODULE'" in alias_notes[0]["message"]
               and alias_notes[0]["severity"] == "warning",
               "a modules.alias with a 1 MB line and binary junk: one host-file-malformed finding in JSON", out)
        tap.ok(any(d.get("device") == "0000:04:00.0" and "/vendor holds binary data" in d["message"] for d in malformed),
               "a vendor file with binary junk: host-file-malformed about the device", out)
        about = {}
        for d in diags or []:
            about.setdefault(d.get("device"), []).append(d["rule"])
        tap.ok("managed-no-not-bound" in about.get("0000:01:00.0", []) and "leads out of the host root" in out,
               "a driver link out of the root: not followed, said", out)
        tap.ok("iommu-missing" in about.get("0000:02:00.0", []) and "outside the host root" in out,
               "an absolute iommu_group link: not followed, said", out)
        tap.ok("managed-no-not-bound" in about.get("0000:03:00.0", []) and "symbolic links" in out
               and "driver link cannot be read" in out,
               "a driver link loop: an unknown driver, said", out)
        tap.ok("multifunction-incomplete" in about.get("0000:04:00.1", []) and "too short" in out,
               "a short config: multifunction taken from the functions present", out)
        tap.ok("host-device-not-found" in about.get("0000:05:00.0", []),
               "a device link out of the root: not found", out)
        tap.ok("root:" not in out and "/etc" not in out.replace("leads to '/etc'", "").replace("link to /etc", ""),
               "nothing of /etc read", out)

        # --- this machine's /sys, when it has PCI devices
        real = sorted(os.listdir("/sys/bus/pci/devices")) if os.path.isdir("/sys/bus/pci/devices") else []
        if real:
            rc, diags, out, err = validate([], domain(real[:2]))
            devices = {d.get("device") for d in diags or []} - {None}
            tap.ok(rc in (0, 1) and err == "" and diags is not None and devices <= set(real[:2])
                   and not any(d["rule"] == "host-device-not-found" for d in diags),
                   f"this machine's /sys: {', '.join(real[:2])} found, findings only about them", out + err)
            rc, diags, out, err = validate([], domain(["00ff:1f:1f.7"]))
            tap.ok(rc == 1 and [d["rule"] for d in diags] == ["host-device-not-found"],
                   "this machine's /sys: a device it lacks is not found", out + err)
        else:
            tap.skip("this machine's /sys", "no PCI devices here")

        # --- snapshots of real machines (tests/data/hosts-real)
        snaps = sorted(glob.glob(os.path.join(DATA, "hosts-real", "*.tar.gz")))
        tap.ok(len(snaps) == 5, "the five real snapshots are in tests/data/hosts-real", snaps)
        for snap in snaps:
            name = os.path.basename(snap)[:-7]
            root = os.path.join(tmp, "snap-" + name)
            os.makedirs(root)
            with tarfile.open(snap) as t:
                t.extractall(root, filter="tar") if hasattr(tarfile, "data_filter") else t.extractall(root)
            # the archive may hold the root one level down
            inner = [p for p in glob.glob(os.path.join(root, "*")) if os.path.isdir(os.path.join(p, "sys"))]
            if not os.path.isdir(os.path.join(root, "sys")) and inner:
                root = inner[0]
            devs = sorted(os.listdir(os.path.join(root, "sys", "bus", "pci", "devices")))
            rc, diags, out, err = validate(["--root", root, "--kernel-release", "none"], domain(devs))
            found = [d for d in diags or [] if d["rule"] == "host-device-not-found"]
            tap.ok(rc in (0, 1) and err == "" and diags is not None and not found,
                   f"snapshot {name}: {len(devs)} devices checked, {len(diags or [])} findings, no crash",
                   out[:3000] + err)
            # its boot disk's controller is in use; a device without a disk is not
            boot, other = SNAPSHOT_DISKS.get(name, (None, None))
            if boot is None:
                continue
            for dev, used in ((boot, True), (other, False)):
                rc, diags, out, err = validate(["--root", root, "--kernel-release", "none"], domain([dev]))
                inuse = [d for d in diags or [] if d["rule"] == "host-device-in-use" and d["severity"] == "error"]
                tap.ok(bool(inuse) == used and all(d.get("device") == dev for d in inuse),
                       f"snapshot {name}: {dev} {'holds mounted filesystems' if used else 'holds nothing mounted'}",
                       out)
    tap.done()


if __name__ == "__main__":
    main()
