# SPDX-License-Identifier: LGPL-2.1-or-later
"""Small TAP helpers for the tests that run the real binary."""
import glob
import os
import shlex
import subprocess
import sys
import tarfile

BIN = os.environ.get("HP_BIN", "")
SRCDIR = os.environ.get("HP_SRCDIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the suite's own data (tests/data/README.md): nothing outside the repository
DATA = os.path.join(SRCDIR, "tests", "data")
LIBVIRT = os.environ.get("HP_LIBVIRT_SCHEMADIR", "/usr/share/libvirt/schemas")
WRAP = shlex.split(os.environ.get("HP_VALGRIND", ""))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=""):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            for line in str(detail).splitlines()[:60]:
                print(f"# {line}")
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {why}")

    def done(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failed else 0)


def run(args, stdin=None, cwd=None, timeout=120, env=None):
    """Runs the tool; returns (exit code, stdout, stderr) as text."""
    e = dict(os.environ)
    e["LC_ALL"] = "C.UTF-8"
    if env:
        e.update(env)
    p = subprocess.run(WRAP + [BIN] + list(args), input=stdin, capture_output=True, cwd=cwd,
                       timeout=timeout * (10 if WRAP else 1), env=e)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def have_libvirt():
    return os.path.isfile(os.path.join(LIBVIRT, "domain.rng"))


def require_libvirt(tap, what):
    """libvirt's grammar is part of what these tests check: without it they
    fail, saying what to install, rather than pass having checked nothing."""
    if have_libvirt():
        return True
    tap.ok(False, f"{what}: libvirt's grammar {os.path.join(LIBVIRT, 'domain.rng')} is missing",
           "install libvirt's RelaxNG schemas (Debian/Ubuntu: apt-get install libvirt0; "
           "tools/hp-dev test does it), or point -Dlibvirt_schemadir= at them")
    tap.done()
    return False


def hostdev_domain(addrs, managed="yes", name="t"):
    """A domain that declares each PCI address (DDDD:BB:SS.F) as a managed hostdev."""
    devs = ""
    for a in addrs:
        d, b, rest = a.split(":")
        s, f = rest.split(".")
        devs += (f"    <hostdev mode='subsystem' type='pci' managed='{managed}'>\n"
                 f"      <source><address domain='0x{d}' bus='0x{b}' slot='0x{s}' function='0x{f}'/></source>\n"
                 "    </hostdev>\n")
    return f"<domain type='kvm'>\n  <name>{name}</name>\n  <devices>\n{devs}  </devices>\n</domain>\n"


def real_hosts(tmp):
    """The real hosts' trees (tests/data/hosts-real/*.tar.gz), each extracted
    into its own directory under @tmp: a list of (name, root)."""
    hosts = []
    for tar in sorted(glob.glob(os.path.join(DATA, "hosts-real", "*.tar.gz"))):
        name = os.path.basename(tar)[:-7]
        root = os.path.join(tmp, name)
        os.makedirs(root)
        with tarfile.open(tar) as t:
            if hasattr(tarfile, "data_filter"):
                t.extractall(root, filter="tar")
            else:
                t.extractall(root)
        hosts.append((name, root))
    return hosts
