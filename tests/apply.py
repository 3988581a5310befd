#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""apply and release on fake trees (SPEC section 10). A fake tree's "kernel"
does not react to writes: an unbind leaves the driver link, so every apply
that gets as far as a binding fails its check and must give everything back
(exit 1, the tree as found). HOSTDEV_PREFLIGHT_DEFAULT_ROOT stands in for '/'
(--root itself is refused: nothing acts on a copy). The real kernel is the
bench's (tests/vm/scenarios/apply.scn)."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hosts"))
from hptest import SRCDIR, Tap, run  # noqa: E402
import mkhost  # noqa: E402

SEED = os.path.join(SRCDIR, "tests", "xml-in", "seed-bcm5719.xml")
NOLV = ["--no-libvirt-schemas"]
PCI = "sys/bus/pci/devices"
DEVS = ["0001:09:00.0", "0001:09:00.1", "0001:09:00.2", "0001:09:00.3"]


def snapshot(root):
    """Every device's driver link and driver_override ('' and '(null)' are both none)."""
    out = {}
    for b in DEVS:
        d = os.path.join(root, PCI, b)
        link = os.readlink(os.path.join(d, "driver")) if os.path.islink(os.path.join(d, "driver")) else None
        with open(os.path.join(d, "driver_override")) as f:
            ovr = f.read().strip()
        out[b] = (link and os.path.basename(link), None if ovr in ("", "(null)") else ovr)
    return out


def tool(tmp, args, env=None):
    e = {"HOSTDEV_PREFLIGHT_DEFAULT_ROOT": os.path.join(tmp, "root"), "HOSTDEV_PREFLIGHT_TEST_WAIT_MS": "200"}
    e.update(env or {})
    return run(args, env=e)


def apply(tmp, extra=(), env=None, xml=SEED):
    return tool(tmp, ["apply", "--format", "json", "--state-dir", os.path.join(tmp, "state")] + NOLV + list(extra)
                + [xml], env)


def release(tmp, what="seed", env=None):
    return tool(tmp, ["release", "--format", "json", "--state-dir", os.path.join(tmp, "state"), what], env)


def report(out):
    try:
        return json.loads(out)
    except ValueError:
        return {}


def fresh(tmp):
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    mkhost.build(os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host"), os.path.join(tmp, "root"))
    return snapshot(os.path.join(tmp, "root"))


def journal_path(tmp, name="seed"):
    return os.path.join(tmp, "state", f"{name}.json")


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as top:
        tmp = os.path.join(top, "t")
        root = os.path.join(tmp, "root")
        found = fresh(tmp)

        # usage: nothing acts on a copy
        for verb, arg in (("apply", SEED), ("release", "seed")):
            for opt in (["--root", root], ["--kernel-release", "6.1"]):
                rc, out, err = run([verb] + opt + [arg])
                tap.ok(rc == 2 and "refused" in err and "nothing acts on a copy" in err,
                       f"{verb} {opt[0]}: a usage error (exit 2) saying it acts on this host only", f"{rc}\n{err}")
        rc, out, err = run(["apply", "--format", "sh", SEED])
        tap.ok(rc == 2 and "text or json" in err, "apply --format sh: a usage error naming text and json", err)
        rc, out, err = run(["apply"])
        tap.ok(rc == 2 and "exactly one FILE" in err, "apply without FILE: a usage error", err)
        rc, out, err = run(["apply", "--help"])
        tap.ok(rc == 0 and "--state-dir" in out and "--root" not in out, "apply --help lists --state-dir, not --root",
               out)

        # release with no journal: nothing to do
        rc, out, err = release(tmp)
        r = report(out)
        tap.ok(rc == 0 and r.get("outcome") == "nothing-to-release" and r.get("steps") == [],
               "release with no journal: exit 0, nothing-to-release", out + err)
        rc, out, err = release(tmp, SEED)
        tap.ok(rc == 0 and report(out).get("domain") == "seed", "release FILE: the domain's name read from the file",
               out + err)

        # rollback: the fake kernel never unbinds, so the first binding check fails
        rc, out, err = apply(tmp)
        r = report(out)
        kinds = [(s["phase"], s["kind"], s["result"]) for s in r.get("steps", [])]
        tap.ok(rc == 1 and r.get("outcome") == "rolled-back" and r.get("status") == 1,
               "apply on a tree that does not react: exit 1, rolled-back", out + err)
        tap.ok(kinds[:3] == [("prepare", "modprobe", "skipped"), ("prepare", "set-override", "done"),
                             ("prepare", "unbind", "failed")]
               and ("undo", "restore-override", "done") in kinds and kinds[-1] == ("undo", "verify", "done"),
               "the report lists each step with its result: modprobe skipped on a copy, the override set, "
               "the unbind's check failed, the override restored and the driver checked", json.dumps(kinds))
        step = r["steps"][1] if len(r.get("steps", [])) > 1 else {}
        tap.ok(step.get("before") == {"driver": "tg3", "driver_override": None}
               and step.get("path") == "/sys/bus/pci/devices/0001:09:00.0/driver_override",
               "each step says the state before it and the file it writes", json.dumps(step))
        tap.ok(snapshot(root) == found and not os.path.exists(journal_path(tmp)),
               "after the rollback every driver and driver_override is as found, and no journal is left",
               f"{snapshot(root)}\n{found}")
        rc, tout, err = tool(tmp, ["apply", "--state-dir", os.path.join(tmp, "state")] + NOLV + [SEED])
        tap.ok(rc == 1 and "rolled-back" in tout and "failed" in tout and "0001:09:00.0" in tout,
               "the text report names the outcome, the failed step and the device", tout + err)

        # killed after step 2 (the override written): release finishes it
        rc, out, err = apply(tmp, env={"HOSTDEV_PREFLIGHT_TEST_CRASH_AFTER": "2"})
        with open(journal_path(tmp)) if os.path.exists(journal_path(tmp)) else open(os.devnull) as f:
            j = report(f.read())
        tap.ok(rc == -9 and j.get("state") == "applying" and snapshot(root)[DEVS[0]][1] == "vfio-pci",
               "killed after step 2: the journal (applying) and the override are left", f"{rc}\n{j}\n{err}")
        tap.ok([d["driver"] for d in j.get("devices", [])] == ["tg3"] * 4
               and [s["result"] for s in j.get("steps", [])] == ["skipped", "pending"],
               "the journal records tg3 for every device, and step 2 recorded before it ran", json.dumps(j))
        rc, out, err = release(tmp)
        r = report(out)
        tap.ok(rc == 0 and r.get("outcome") == "released" and snapshot(root) == found
               and not os.path.exists(journal_path(tmp)),
               "release after the kill: exit 0, the override back, the journal gone", out + err)

        # killed again: apply first undoes the journal, then applies (and rolls back on this tree)
        apply(tmp, env={"HOSTDEV_PREFLIGHT_TEST_CRASH_AFTER": "2"})
        rc, out, err = apply(tmp)
        r = report(out)
        msgs = " ".join(r.get("messages", []))
        tap.ok(rc == 1 and "a run that was stopped left a journal" in msgs and snapshot(root) == found
               and not os.path.exists(journal_path(tmp)),
               "apply after a kill recovers first (the override back), then applies and rolls back here",
               out + err)

        # a prepared journal: apply is a no-op
        os.makedirs(os.path.join(tmp, "state"), exist_ok=True)
        prepared = {"format": "hostdev-preflight-journal", "version": 1, "domain": "seed", "state": "prepared",
                    "devices": [{"address": DEVS[0], "driver": "tg3", "driver_override": None,
                                 "target_driver": "vfio-pci", "iommu_group": 17}], "steps": []}
        with open(journal_path(tmp), "w") as f:
            json.dump(prepared, f)
        rc, out, err = apply(tmp)
        tap.ok(rc == 0 and report(out).get("outcome") == "already-prepared" and snapshot(root) == found,
               "apply on a prepared domain: exit 0, nothing changed", out + err)

        # another domain's journal holds a device
        os.rename(journal_path(tmp), journal_path(tmp, "other"))
        with open(journal_path(tmp, "other")) as f:
            other = f.read()
        with open(journal_path(tmp, "other"), "w") as f:
            f.write(other.replace('"seed"', '"other"'))
        rc, out, err = apply(tmp)
        msgs = " ".join(report(out).get("messages", []))
        tap.ok(rc == 1 and "0001:09:00.0 is held by domain 'other'" in msgs and snapshot(root) == found
               and report(out).get("steps") == [],
               "a device another domain's journal holds: refused (exit 1) before any change", out + err)
        os.unlink(journal_path(tmp, "other"))
        with open(journal_path(tmp, "zz"), "w") as f:
            f.write("{\"format\": ")
        rc, out, err = apply(tmp)
        tap.ok(rc == 1 and "zz.json" in out and snapshot(root) == found,
               "a garbled journal of another domain: refused, it may hold a device", out + err)
        os.unlink(journal_path(tmp, "zz"))

        # a process holds the group open
        fd_dir = os.path.join(root, "proc", "4242", "fd")
        os.makedirs(fd_dir)
        os.symlink("/dev/null", os.path.join(fd_dir, "0"))
        os.symlink("/dev/vfio/17", os.path.join(fd_dir, "7"))
        with open(os.path.join(root, "proc", "4242", "comm"), "w") as f:
            f.write("qemu-system-x86\n")
        rc, out, err = apply(tmp)
        msgs = " ".join(report(out).get("messages", []))
        tap.ok(rc == 1 and "/dev/vfio/17 is open in process 4242 (qemu-system-x86)" in msgs
               and snapshot(root) == found, "a group a process holds open: refused before any change", out + err)
        os.unlink(os.path.join(fd_dir, "7"))
        os.symlink("/dev/vfio/18", os.path.join(fd_dir, "7"))
        rc, out, err = apply(tmp)
        tap.ok(rc == 1 and "is open in process" not in out and report(out).get("outcome") == "rolled-back",
               "another group held open: no refusal (this tree then rolls back)", out + err)
        shutil.rmtree(os.path.join(root, "proc"))

        # a blacklisted module, read from modprobe's configuration
        conf = os.path.join(root, "etc", "modprobe.d")
        os.makedirs(conf)
        with open(os.path.join(conf, "hp.conf"), "w") as f:
            f.write("blacklist vfio-pci\n")
        rc, out, err = apply(tmp)
        msgs = " ".join(report(out).get("messages", []))
        tap.ok(rc == 1 and "module vfio_pci cannot be loaded" in msgs and "blacklist vfio_pci" in msgs
               and snapshot(root) == found, "a blacklisted VFIO module: refused, saying the line", out + err)
        shutil.rmtree(os.path.join(root, "etc"))

        # a domain that does not validate: refused, like plan
        bad = os.path.join(top, "missing.xml")
        with open(SEED) as f:
            text = f.read()
        with open(bad, "w") as f:
            f.write(text.replace("function='0x3'/>\n      </source>", "function='0x7'/>\n      </source>"))
        rc, out, err = apply(tmp, xml=bad)
        tap.ok(rc == 1 and "host-device-not-found" in err and "does not validate" in out and snapshot(root) == found,
               "a domain with errors on this host: refused (exit 1), the findings on stderr", out + err)

        # a garbled journal of this domain: exit 3, not a guess
        os.makedirs(os.path.join(tmp, "state"), exist_ok=True)
        with open(journal_path(tmp), "w") as f:
            f.write("{\"format\": \"hostdev-preflight-journal\", \"version\": 1, \"domain\": \"seed\"")
        for verb in ("apply", "release"):
            rc, out, err = apply(tmp) if verb == "apply" else release(tmp)
            tap.ok(rc == 3 and "is not JSON" in out and os.path.exists(journal_path(tmp)),
                   f"{verb} with its own journal garbled: exit 3, the journal kept", out + err)
        os.unlink(journal_path(tmp))

        # the state directory cannot be written: refused before any change
        ro = os.path.join(top, "ro")
        with open(ro, "w") as f:
            f.write("a file, not a directory\n")
        rc, out, err = tool(tmp, ["apply", "--format", "json", "--state-dir", ro] + NOLV + [SEED])
        tap.ok(rc == 1 and report(out).get("outcome") == "refused" and snapshot(root) == found,
               "a state directory that cannot be made: refused (exit 1), nothing changed", out + err)
    tap.done()


if __name__ == "__main__":
    main()
