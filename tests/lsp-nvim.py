#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real editor: headless Neovim's built-in LSP client opens a domain,
receives our diagnostics, applies our quick fix, and the saved file then
validates."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import BIN, SRCDIR, WRAP, Tap, run  # noqa: E402

MISSING = os.path.join(SRCDIR, "tests", "xml-in", "bcm5719-missing-function.xml")


def main():
    tap = Tap()
    nvim = shutil.which("nvim")
    if not tap.ok(nvim is not None, "Neovim is installed (Debian's neovim; tools/hp-dev installs it)"):
        tap.done()
    with tempfile.TemporaryDirectory() as tmp:
        host = os.path.join(tmp, "bcm5719")
        subprocess.run([sys.executable, os.path.join(SRCDIR, "tests", "hosts", "mkhost.py"),
                        os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host"), host], check=True)
        vm = os.path.join(tmp, "vm.xml")
        shutil.copy(MISSING, vm)
        report = os.path.join(tmp, "report.txt")
        start = os.path.join(tmp, "start.lua")
        with open(start, "w") as f:
            f.write("_G.hp_args = { %s }\ndofile(%r)\n" % (
                ", ".join(repr(x) for x in [BIN, host, vm, report]),
                os.path.join(SRCDIR, "tests", "lsp-nvim.lua")))
        env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp, XDG_STATE_HOME=tmp,
                   XDG_CACHE_HOME=tmp, G_MESSAGES_DEBUG="hostdev-preflight")
        try:
            p = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", "luafile " + start],
                               capture_output=True, timeout=120 * (10 if WRAP else 1), env=env, cwd=tmp)
            err = p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            err = "timed out: %s" % e
        for d, _, names in os.walk(tmp):  # Neovim's LSP log holds the server's stderr
            for n in names:
                if n == "lsp.log":
                    err += "\n" + open(os.path.join(d, n), errors="replace").read()[-3000:]
        got = {}
        if os.path.exists(report):
            for line in open(report):
                k, _, v = line.strip().partition("=")
                got.setdefault(k, []).append(v)
        tap.ok(got.get("diagnostics") == ["true"] and any(x.startswith("multifunction-incomplete@")
                                                           for x in got.get("diag", [])),
               "Neovim shows our multifunction-incomplete diagnostic", (got, err))
        tap.ok(any("0001:09:00.2" in x for x in got.get("action", [])),
               "Neovim gets our quick fix", (got, err))
        tap.ok(got.get("cleared") == ["true"], "after Neovim applies it, the diagnostics clear", (got, err))
        rc, out, err2 = run(["validate", "--no-libvirt-schemas", "--root", host, "--kernel-release", "6.12.0-hp", vm])
        tap.ok(rc == 0, "the saved buffer validates on the host", out + err2)
    tap.done()


if __name__ == "__main__":
    main()
