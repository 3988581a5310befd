#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""How long the language server takes to re-check a typical domain after a
change: the time from sending textDocument/didChange to receiving its
publishDiagnostics, over many changes, against a fake host tree, with and
without libvirt's grammar. A benchmark, never a test: it prints figures.

  python3 benchmarks/lsp-recheck.py [BIN] [ROUNDS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRCDIR, "tests"))
os.environ.setdefault("HP_SRCDIR", SRCDIR)
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SRCDIR, "build", "tools", "hostdev-preflight")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
os.environ["HP_BIN"] = BIN
import lsp  # noqa: E402  (the protocol client of the test suite)


def measure(extra, host, text, uri):
    c = lsp.Client(extra)
    lsp.init(c, ["utf-32"], {"host": host, "kernelRelease": "6.12.0-hp"} if host else {"host": "none"})
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "xml", "version": 1, "text": text}})
    c.diagnostics(uri, 1)
    times = []
    for v in range(2, ROUNDS + 2):
        # a keystroke's change: the domain's name grows and shrinks
        body = text.replace("<name>", "<name>" + "x" * (v % 7), 1)
        t0 = time.perf_counter()
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": v},
                                            "contentChanges": [{"text": body}]})
        c.diagnostics(uri, v)
        times.append((time.perf_counter() - t0) * 1000)
    c.request("shutdown")
    c.notify("exit", None)
    c.close()
    return times


def main():
    seed = os.path.join(SRCDIR, "tests", "xml-in", "seed-bcm5719.xml")
    text = open(seed).read()
    with tempfile.TemporaryDirectory() as tmp:
        host = os.path.join(tmp, "bcm5719")
        subprocess.run([sys.executable, os.path.join(SRCDIR, "tests", "hosts", "mkhost.py"),
                        os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host"), host], check=True)
        uri = "file://" + os.path.join(tmp, "vm.xml")
        print(f"re-check of {os.path.relpath(seed, SRCDIR)} ({len(text)} bytes), {ROUNDS} changes, "
              "ms from didChange sent to diagnostics received (median / p90 / max)")
        for label, extra, h in [("static layers only", ["--no-libvirt-schemas"], None),
                                ("+ host rules (fake host)", ["--no-libvirt-schemas"], host),
                                ("+ libvirt's grammar", [], host)]:
            t = sorted(measure(extra, h, text, uri))
            print(f"  {label:28s} {statistics.median(t):6.2f} / {t[int(len(t) * 0.9)]:6.2f} / {t[-1]:6.2f}")


if __name__ == "__main__":
    main()
