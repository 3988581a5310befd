# SPDX-License-Identifier: LGPL-2.1-or-later
"""Small TAP helpers for the tests that run the real binary."""
import os
import shlex
import subprocess
import sys

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
