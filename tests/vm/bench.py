#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real-kernel bench: boots Debian's own kernel under QEMU, once per
scenario in tests/vm/scenarios/, with the PCI devices the scenario names and
a virtual IOMMU, shares this machine's / with the guest read-only (under a
tmpfs overlay), runs tests/vm/guest.py there against the live sysfs, and
prints what came back as TAP.

    bench.py WORKDIR [SCENARIO...]

WORKDIR (in the build directory) caches the kernel package, fetched with
apt from Debian's bookworm-backports (the 6.12 kernel) into a private apt
state, never installed; bookworm's 6.1 when backports cannot be had. The
initramfs is built here at each run from busybox-static and the package's
modules. Everything that keeps the bench from running (no QEMU, no kernel)
is a failed check, never a skip.

Environment: HP_BIN (the binary under test), HP_SRCDIR; HP_VM_ACCEL=tcg|kvm
(default tcg: nested KVM guests boot slower here, see README.md);
HP_VM_KERNEL_DEB=FILE.deb uses that kernel package instead of fetching;
HP_VM_TIMEOUT seconds per guest (default 900: the apply scenarios take minutes under TCG on a busy machine).
"""
import json
import lzma
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("HP_SRCDIR", os.path.dirname(os.path.dirname(HERE)))
BIN = os.environ.get("HP_BIN", "")
MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# (what, apt source lines, the kernel package the suite's linux-image-amd64 names)
KERNELS = [
    ("Debian 12 backports' 6.12", [f"{MIRROR} bookworm-backports main"],
     re.compile(r"linux-image-6\.12\.[0-9]+\+deb12(\.[0-9]+)?-amd64$")),
    ("Debian 12's 6.1 (backports could not be had)",
     [f"{MIRROR} bookworm main", "http://deb.debian.org/debian-security bookworm-security main"],
     re.compile(r"linux-image-6\.1\.0-[0-9]+-amd64$")),
]
# what the initramfs loads; their dependencies come from modules.dep
INITRAMFS_MODULES = ["9pnet_virtio", "9p", "overlay"]


class Bench:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail="", todo=None):
        self.n += 1
        line = f"{'ok' if cond else 'not ok'} {self.n} - {name}"
        if todo:
            line += f" # TODO {todo}"
        print(line)
        if not cond:
            if not todo:
                self.failed += 1
            for text in str(detail).splitlines()[:80]:
                print(f"# {text}")
        sys.stdout.flush()
        return cond

    def note(self, text):
        for line in text.splitlines():
            print(f"# {line}")
        sys.stdout.flush()

    def done(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failed else 0)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# --- the kernel ------------------------------------------------------------

def apt_options(adir):
    opts = {
        "Dir::Etc::SourceList": os.path.join(adir, "sources.list"),
        "Dir::Etc::SourceParts": "/dev/null",
        "Dir::State::Lists": os.path.join(adir, "lists"),
        "Dir::State::status": "/dev/null",
        "Dir::Cache": os.path.join(adir, "cache"),
        "Debug::NoLocking": "1",
    }
    if os.geteuid() == 0:
        opts["APT::Sandbox::User"] = "root"  # apt's _apt user cannot write the build directory
    return [a for k, v in opts.items() for a in ("-o", f"{k}={v}")]


def fetch_kernel(kdir, bench):
    """Downloads the kernel package into kdir with a private apt state;
    returns (path of the .deb, what it is) or (None, why not)."""
    why = []
    for i, (what, sources, pattern) in enumerate(KERNELS):
        adir = os.path.join(kdir, f"apt{i}")
        for sub in ("lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(adir, sub), exist_ok=True)
        signed = f"[signed-by={KEYRING}] " if os.path.exists(KEYRING) else ""
        with open(os.path.join(adir, "sources.list"), "w") as f:
            f.write("".join(f"deb {signed}{s}\n" for s in sources))
        opts = apt_options(adir)
        p = run(["apt-get"] + opts + ["-q", "update"], timeout=300)
        if p.returncode != 0:
            why.append(f"{what}: apt-get update failed: {p.stderr.strip()[-500:]}")
            continue
        p = run(["apt-cache"] + opts + ["depends", "linux-image-amd64"])
        names = re.findall(r"Depends: (linux-image-\S+)", p.stdout)
        names = [n for n in names if pattern.match(n)]
        if not names:
            why.append(f"{what}: linux-image-amd64 depends on no matching package: {p.stdout.strip()} {p.stderr.strip()}")
            continue
        p = run(["apt-get"] + opts + ["-q", "download", names[0]], cwd=kdir, timeout=900)
        debs = [f for f in os.listdir(kdir) if f.startswith(names[0] + "_") and f.endswith(".deb")]
        if p.returncode != 0 or not debs:
            why.append(f"{what}: apt-get download {names[0]} failed: {p.stderr.strip()[-500:]}")
            continue
        bench.note(f"fetched {debs[0]} ({what})")
        return os.path.join(kdir, debs[0]), what
    return None, "\n".join(why)


def unpack_kernel(deb, kdir):
    """dpkg-deb -x into kdir/NAME, then depmod (the package ships no
    modules.dep nor modules.alias: its postinst makes them)."""
    name = os.path.basename(deb)[:-4]
    root = os.path.join(kdir, "unpacked", name)
    ready = os.path.join(root, "hp-ready.json")
    if os.path.exists(ready):
        with open(ready) as f:
            return json.load(f)
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    p = run(["dpkg-deb", "-x", deb, root])
    if p.returncode != 0:
        raise RuntimeError(f"dpkg-deb -x {deb}: {p.stderr}")
    releases = os.listdir(os.path.join(root, "lib", "modules"))
    if len(releases) != 1:
        raise RuntimeError(f"{deb}: expected one lib/modules/REL, found {releases}")
    rel = releases[0]
    depmod = shutil.which("depmod") or "/usr/sbin/depmod"
    p = run([depmod, "-b", root, rel])
    if p.returncode != 0:
        raise RuntimeError(f"depmod -b {root} {rel}: {p.stderr} (is kmod installed?)")
    info = {"deb": os.path.basename(deb), "release": rel,
            "vmlinuz": os.path.join(root, "boot", f"vmlinuz-{rel}"),
            "modules": os.path.join(root, "lib", "modules", rel)}
    with open(ready, "w") as f:
        json.dump(info, f)
    return info


def kernel(kdir, bench):
    os.makedirs(kdir, exist_ok=True)
    deb = os.environ.get("HP_VM_KERNEL_DEB")
    what = "HP_VM_KERNEL_DEB"
    if not deb:
        cached = sorted((f for f in os.listdir(kdir) if f.startswith("linux-image-") and f.endswith(".deb")),
                        key=lambda f: (not KERNELS[0][2].match(f.split("_")[0]), f))
        if cached:
            deb, what = os.path.join(kdir, cached[0]), "cached in the build directory"
        else:
            deb, what = fetch_kernel(kdir, bench)
            if deb is None:
                return None, what
    info = unpack_kernel(deb, kdir)
    info["what"] = what
    return info, None


# --- the initramfs ---------------------------------------------------------

def cpio_newc(entries):
    """An initramfs archive (cpio 'newc'); entries: (name, mode, data)."""
    out = bytearray()

    def pad():
        out.extend(b"\0" * (-len(out) % 4))

    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], 1):
        rdev = (5, 1) if stat.S_ISCHR(mode) else (0, 0)
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
        out.extend(b"070701" + b"".join(b"%08X" % v for v in fields))
        out.extend(name.encode() + b"\0")
        pad()
        out.extend(data)
        pad()
    return bytes(out)


def module_order(moddir, wanted):
    """Module files (relative to moddir) to insmod, dependencies first."""
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
    by_name = {re.sub(r"\.ko(\.[a-z]+)?$", "", os.path.basename(p)).replace("-", "_"): p for p in deps}
    order = []

    def add(path):
        for d in reversed(deps[path]):
            add(d)
        if path not in order:
            order.append(path)

    for name in wanted:
        if name not in by_name:
            raise RuntimeError(f"no module {name} in {moddir}/modules.dep")
        add(by_name[name])
    return order


def initramfs(work, info):
    busybox = "/bin/busybox"
    if not os.path.exists(busybox):
        raise RuntimeError("no /bin/busybox: install busybox-static")
    entries = [(d, stat.S_IFDIR | 0o755, b"") for d in ("bin", "dev", "proc", "sys", "lib", "lib/modules")]
    entries.append(("dev/console", stat.S_IFCHR | 0o600, b""))
    with open(busybox, "rb") as f:
        entries.append(("bin/busybox", stat.S_IFREG | 0o755, f.read()))
    with open(os.path.join(HERE, "init.sh"), "rb") as f:
        entries.append(("init", stat.S_IFREG | 0o755, f.read()))
    names = []
    for path in module_order(info["modules"], INITRAMFS_MODULES):
        with open(os.path.join(info["modules"], path), "rb") as f:
            data = f.read()
        if path.endswith(".xz"):
            data = lzma.decompress(data)
        name = re.sub(r"\.ko(\.[a-z]+)?$", ".ko", os.path.basename(path))
        entries.append((f"lib/modules/{name}", stat.S_IFREG | 0o644, data))
        names.append(name)
    entries.append(("lib/modules/order", stat.S_IFREG | 0o644, "".join(n + "\n" for n in names).encode()))
    out = os.path.join(work, f"initramfs-{info['release']}.cpio")
    with open(out, "wb") as f:
        f.write(cpio_newc(entries))
    return out


# --- scenarios -------------------------------------------------------------

def host_directives(path, results):
    """What the machine needs from a scenario: QEMU arguments (a 'disk ID
    MB' is a sparse raw image in the results directory, drive ID) and
    whether the guest has an IOMMU."""
    qemu, iommu = [], True
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            words = shlex.split(line)
            if words[0] == "qemu":
                qemu += words[1:]
            elif words[0] == "iommu" and words[1:] == ["off"]:
                iommu = False
            elif words[0] == "disk":
                image = os.path.join(results, words[1] + ".img")
                with open(image, "wb") as img:
                    img.truncate(int(words[2]) << 20)
                qemu += ["-drive", f"if=none,id={words[1]},format=raw,file={image}"]
    return qemu, iommu


def launch(work, info, initrd, scn, accel, timeout):
    """Boots the scenario's guest once; returns what came back."""
    name = os.path.basename(scn)[:-4]
    results = os.path.join(work, "results", name)
    if os.path.exists(results):
        shutil.rmtree(results)
    os.makedirs(results)
    python = os.path.realpath(sys.executable)
    job = {"HP_VM_MODULES": info["modules"], "HP_VM_PYTHON": python,
           "HP_VM_GUEST": os.path.join(HERE, "guest.py"), "HP_VM_SCENARIO": scn,
           "HP_BIN": os.path.realpath(BIN), "HP_SRCDIR": SRCDIR}
    with open(os.path.join(results, "job.sh"), "w") as f:
        f.write("".join(f"{k}={shlex.quote(v)}\n" for k, v in job.items()))
    qemu_args, iommu = host_directives(scn, results)
    # no_timer_check: on a loaded machine TCG can be too slow for the
    # kernel's IO-APIC timer check, which then panics with interrupt remapping
    append = ["console=ttyS0", "panic=-1", "loglevel=4", "nokaslr", "no_timer_check",
              f"hp.stage2={os.path.join(HERE, 'stage2.sh')}", f"hp.results={results}"]
    machine = "q35,kernel-irqchip=split" if iommu else "q35"
    cmd = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
           "-machine", machine, "-accel", accel, "-m", "1024", "-smp", "1"]
    if iommu:
        cmd += ["-device", "intel-iommu,intremap=on"]
        append.append("intel_iommu=on")
    cmd += ["-kernel", info["vmlinuz"], "-initrd", initrd, "-append", " ".join(append),
            "-serial", f"file:{os.path.join(results, 'console.log')}",
            "-fsdev", "local,id=hproot,path=/,security_model=none,readonly=on,multidevs=remap",
            "-device", "virtio-9p-pci,fsdev=hproot,mount_tag=hproot,bus=pcie.0,addr=0x1d",
            "-fsdev", f"local,id=hpresults,path={results},security_model=none",
            "-device", "virtio-9p-pci,fsdev=hpresults,mount_tag=hpresults,bus=pcie.0,addr=0x1e"]
    cmd += qemu_args
    with open(os.path.join(results, "qemu-cmdline"), "w") as f:
        f.write(shlex.join(cmd) + "\n")
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        qemu_out = p.stdout + p.stderr
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        err = e.stderr or b""
        qemu_out = f"killed after {timeout} s\n" + (err if isinstance(err, str) else err.decode(errors="replace"))
        rc = None
    elapsed = time.monotonic() - start

    def read(f, default=""):
        try:
            with open(os.path.join(results, f), errors="replace") as fh:
                return fh.read()
        except OSError:
            return default

    checks = []
    for line in read("checks.jsonl").splitlines():
        try:
            checks.append(json.loads(line))
        except ValueError:
            pass
    return {"name": name, "results": results, "rc": rc, "qemu": qemu_out.strip(), "elapsed": elapsed,
            "console": read("console.log"), "booted": read("booted").strip(), "finished": read("exit").strip(),
            "guest_log": read("guest.log"), "checks": checks}


def report(bench, r):
    name, checks, booted = r["name"], r["checks"], r["booted"]
    tail = "\n".join(r["console"].splitlines()[-40:])
    ran = bench.ok(r["rc"] == 0 and booted and r["finished"] and checks and checks[-1].get("end"),
                   f"{name}: the guest booted and ran its checks "
                   f"({'userland after ' + booted + ' s, ' if booted else ''}{r['elapsed']:.1f} s in all)",
                   f"qemu exit {r['rc']}: {r['qemu']}\n--- console (last lines)\n{tail}\n"
                   f"--- guest.log\n{r['guest_log'][-3000:]}")
    for c in checks:
        if c.get("end"):
            continue
        if "note" in c:
            bench.note(f"{name}: {c['note']}")
            continue
        bench.ok(c["ok"], f"{name}: {c['name']}", c.get("detail", ""), c.get("todo"))
    if not ran:
        bench.note(f"{name}: the guest's own log: {r['results']}/guest.log, console: {r['results']}/console.log")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench.py WORKDIR [SCENARIO...]")
    work = os.path.abspath(sys.argv[1])
    os.makedirs(work, exist_ok=True)
    bench = Bench()
    t0 = time.monotonic()
    want = sys.argv[2:]
    scdir = os.path.join(HERE, "scenarios")
    scns = sorted(os.path.join(scdir, f) for f in os.listdir(scdir) if f.endswith(".scn"))
    if want:
        scns = [s for s in scns if os.path.basename(s)[:-4] in want]
    accel = os.environ.get("HP_VM_ACCEL", "tcg")
    timeout = int(os.environ.get("HP_VM_TIMEOUT", "900"))

    qemu = shutil.which("qemu-system-x86_64")
    if not bench.ok(qemu is not None, "qemu-system-x86_64 is installed",
                    "no qemu-system-x86_64 on PATH: install Debian's qemu-system-x86 (tools/hp-dev test does)"):
        bench.done()
    bench.note(run([qemu, "--version"]).stdout.splitlines()[0])
    if not bench.ok(BIN and os.access(BIN, os.X_OK), "HP_BIN is the built binary", f"HP_BIN={BIN!r}"):
        bench.done()
    try:
        info, why = kernel(os.path.join(work, "kernel"), bench)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        info, why = None, str(e)
    if not bench.ok(info is not None, f"a Debian kernel to boot: {info['deb'] if info else 'none'}"
                    + (f" ({info['what']})" if info else ""), why or ""):
        bench.done()
    try:
        initrd = initramfs(work, info)
        why = ""
    except (RuntimeError, OSError) as e:
        initrd, why = None, str(e)
    if not bench.ok(initrd is not None, "the initramfs is built (busybox-static, 9p and overlay modules)", why):
        bench.done()
    bench.ok(len(scns) > 0 and (not want or len(scns) == len(want)), f"{len(scns)} scenarios to boot",
             f"asked for {want}, found {scns}")
    times = []
    for scn in scns:
        r = launch(work, info, initrd, scn, accel, timeout)
        if not r["booted"]:
            # a guest that never reached its userland (a loaded machine can
            # starve TCG): said, and booted once more; a second failure fails
            tail = "\n".join(r["console"].splitlines()[-15:])
            bench.note(f"{r['name']}: the guest did not reach its userland, booting it again; "
                       f"qemu exit {r['rc']}, console:\n{tail}")
            r = launch(work, info, initrd, scn, accel, timeout)
        report(bench, r)
        times.append((r["name"], r["elapsed"], float(r["booted"]) if r["booted"] else None))
    bench.note(f"kernel {info['release']} ({info['deb']}), accel {accel}")
    for name, elapsed, booted in times:
        bench.note(f"{name}: userland after {booted if booted is not None else '?'} s, guest {elapsed:.1f} s")
    bench.note(f"the bench took {time.monotonic() - t0:.1f} s")
    bench.done()


if __name__ == "__main__":
    main()
