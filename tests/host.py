#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Host checks through the real binary: the skip note, --root errors, hostile
host trees, this machine's real /sys, and real machines' snapshots."""
import glob
import json
import os
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import SRCDIR, Tap, run  # noqa: E402
import mkhost  # noqa: E402

HOSTS = os.path.join(SRCDIR, "tests", "hosts")
NOLV = ["--no-libvirt-schemas"]


def domain(addrs, managed="yes"):
    devs = ""
    for a in addrs:
        d, b, rest = a.split(":")
        s, f = rest.split(".")
        devs += (f"    <hostdev mode='subsystem' type='pci' managed='{managed}'>\n"
                 f"      <source><address domain='0x{d}' bus='0x{b}' slot='0x{s}' function='0x{f}'/></source>\n"
                 "    </hostdev>\n")
    return f"<domain type='kvm'>\n  <name>t</name>\n  <devices>\n{devs}  </devices>\n</domain>\n"


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
        rc, diags, out, err = validate(["--root", empty], domain(["0000:01:00.0"]))
        tap.ok(rc == 1 and [d["rule"] for d in diags] == ["host-device-not-found"],
               "--root without PCI sysfs: the device is not found", out + err)
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

        # --- hostile host trees: a finding each, nothing read outside the root
        hostile = os.path.join(tmp, "hostile")
        mkhost.build(os.path.join(HOSTS, "hostile.host"), hostile)
        alias = os.path.join(hostile, "lib", "modules", "6.12.0-hp", "modules.alias")
        with open(alias, "ab") as f:
            f.write(b"alias vfio_pci:" + b"x" * (1 << 20) + b" huge\n\x00\x01\x02\xff\xfe junk\n"
                    b"alias vfio_pci:v*d*sv*sd*bc*sc*i* \xff\xfe\x1b[31m\n")
        addrs = ["0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:04:00.0", "0000:05:00.0"]
        rc, diags, out, err = validate(["--root", hostile, "--kernel-release", "6.12.0-hp"], domain(addrs, managed="no"))
        tap.ok(rc == 1 and diags is not None and "AddressSanitizer" not in err, "hostile tree: exit 1, no crash", out + err)
        tap.ok(err == "", "hostile tree: nothing on stderr (host files are findings, in JSON too)", err)
        about = {}
        for d in diags or []:
            about.setdefault(d.get("device"), []).append(d["rule"])
        tap.ok("managed-no-not-bound" in about.get("0000:01:00.0", []) and "leads out of the host root" in out
               and "its driver cannot be read" in out,
               "a driver link out of the root: not followed, the driver unknown, said", out)
        tap.ok("iommu-missing" in about.get("0000:02:00.0", []) and "outside the host root" in out,
               "an absolute iommu_group link: not followed, said", out)
        tap.ok("managed-no-not-bound" in about.get("0000:03:00.0", []) and "symbolic links" in out,
               "a driver link loop: said", out)
        tap.ok("multifunction-incomplete" in about.get("0000:04:00.1", []) and "too short" in out,
               "a short config: multifunction taken from the functions present", out)
        tap.ok("host-device-not-found" in about.get("0000:05:00.0", []),
               "a device link out of the root: not found", out)
        tap.ok(all("host-file-malformed" in about.get(a, []) for a in ("0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:04:00.0")),
               "each garbled host file of a declared device: host-file-malformed", out)
        tap.ok("root:" not in out and "/etc" not in out.replace("link to /etc", ""),
               "nothing of /etc read", out)

        # a group member whose driver link loops: unknown, so the group is not viable
        rc, diags, out, err = validate(["--root", hostile, "--kernel-release", "6.12.0-hp"], domain(["0000:06:00.0"]))
        tap.ok(rc == 1 and [(d["rule"], d.get("device")) for d in diags or [] if d["severity"] == "error"] ==
               [("iommu-group-not-viable", "0000:06:00.1")] and "driver could not be read" in out,
               "a group member with an unknown driver: iommu-group-not-viable", out + err)

        # modules.alias: a module name that would run in a shell, a 1 MB line,
        # binary junk: one host-file-malformed, in JSON, and never planned
        rc, diags, out, err = validate(["--root", hostile, "--kernel-release", "6.12.0-hp"], domain(["0000:07:00.0"]))
        mal = [d for d in diags or [] if d["rule"] == "host-file-malformed"]
        tap.ok(rc == 0 and err == "" and len(mal) == 1 and "lib/modules/6.12.0-hp/modules.alias" in mal[0]["message"]
               and "3 vfio_pci: alias lines (the first is line 3)" in mal[0]["message"] and "PWNED" not in out
               and "\x1b" not in out and mal[0]["line"] == 1,
               "modules.alias with hostile module names: one host-file-malformed on the domain, exit 0", out + err)
        for fmt in ("json", "sh", "text"):
            rc, pout, perr = run(["plan", "--no-libvirt-schemas", "--format", fmt, "--root", hostile, "--kernel-release",
                                  "6.12.0-hp", "-"], stdin=domain(["0000:07:00.0"]).encode())
            tap.ok(rc == 0 and "PWNED" not in pout and "touch" not in pout and "vfio_pci" in pout,
                   f"plan --format {fmt}: the hostile module is never selected; vfio_pci is", pout + perr)
        rc, diags, out, err = validate(["--root", hostile, "--kernel-release", "6.12.0-hp", "--format", "sarif"],
                                       domain(["0000:07:00.0"]))
        tap.ok("host-file-malformed" in out, "the modules.alias finding is in SARIF too", out)
        # a driver whose name is no kernel name: unknown, never echoed raw
        rc, diags, out, err = validate(["--root", hostile, "--kernel-release", "6.12.0-hp"], domain(["0000:08:00.0"], managed="no"))
        tap.ok(rc == 1 and "not a kernel driver name" in out and "managed-no-not-bound" in out,
               "a driver named 'bad;name': not a kernel name, taken as unknown", out + err)

        # --- 10,000 hostdevs: each finding once, in its place (the host rules
        # index slots and groups; timing is benchmarks/host-rules-scale.py)
        desc = os.path.join(tmp, "many.host")
        with open(desc, "w") as f:
            f.write("alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n")
            for slot in range(64):
                for fn in range(8):
                    f.write(f"device 0000:{slot + 1:02x}:00.{fn} vendor=14e4 device=1657 group={slot + 1}"
                            f"{' header=0x80' if fn == 0 else ''}\n")
        many = os.path.join(tmp, "many")
        mkhost.build(desc, many)
        present = [f"0000:{slot + 1:02x}:00.{fn}" for slot in range(64) for fn in range(1, 8)]
        absent = [f"0001:{b:02x}:{s:02x}.{fn}" for b in range(256) for s in range(32) for fn in range(8)]
        absent = absent[:10000 - len(present)]
        xml = domain(present + absent)
        rc, diags, out, err = validate(["--root", many, "--kernel-release", "6.12.0-hp"], xml)
        counts = {}
        for d in diags or []:
            counts[d["rule"]] = counts.get(d["rule"], 0) + 1
        incomplete = sorted((d["device"], d["line"]) for d in diags or [] if d["rule"] == "multifunction-incomplete")
        # each slot's missing function 0, at the slot's first declared function (00.1)
        want = sorted((f"0000:{slot + 1:02x}:00.0", 4 + 3 * 7 * slot) for slot in range(64))
        tap.ok(rc == 1 and counts == {"multifunction-incomplete": 64, "host-device-not-found": len(absent)}
               and incomplete == want,
               f"10,000 hostdevs ({len(present)} on the host): 64 multifunction-incomplete at each slot's first "
               f"function, {len(absent)} host-device-not-found", f"{counts}\n{incomplete[:5]}\n{want[:5]}\n{err}")

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
        snaps = sorted(glob.glob(os.path.join(SRCDIR, "tests", "data", "hosts-real", "*.tar.gz")))
        tap.ok(len(snaps) == 5, "the five real snapshots are in tests/data/hosts-real")
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
    tap.done()


if __name__ == "__main__":
    main()
