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
    tap.done()


if __name__ == "__main__":
    main()
