#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The language server through its protocol: a client drives the real
binary over stdio through a whole life cycle, hostile messages included."""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import BIN, SRCDIR, WRAP, Tap  # noqa: E402

TIMEOUT = 30 * (10 if WRAP else 1)
MISSING = os.path.join(SRCDIR, "tests", "xml-in", "bcm5719-missing-function.xml")
FUNCTION2 = """    <hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>
      <source>
        <address domain='0x0001' bus='0x09' slot='0x00' function='0x2'/>
      </source>
    </hostdev>
"""


class Client:
    """A minimal LSP client: Content-Length frames over the server's stdio."""

    def __init__(self, args, env=None):
        e = dict(os.environ, LC_ALL="C.UTF-8", G_MESSAGES_DEBUG="hostdev-preflight")
        e.update(env or {})
        self.p = subprocess.Popen(WRAP + [BIN, "lsp"] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=e)
        self.q = queue.Queue()
        self.next_id = 1
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        self.stderr = []  # what the server logs, for a failing test's detail
        threading.Thread(target=lambda: self.stderr.extend(iter(self.p.stderr.readline, b"")), daemon=True).start()

    def log(self):
        return b"".join(self.stderr).decode("utf-8", "replace")[-3000:]

    def _read(self):
        out = self.p.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.q.put(None)
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            body = out.read(int(headers["content-length"]))
            self.q.put(json.loads(body.decode("utf-8")))

    def send_raw(self, body):
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def send(self, msg):
        self.send_raw(json.dumps(msg).encode("utf-8"))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait(lambda m: m.get("id") == rid and "method" not in m)

    def wait(self, pred, timeout=TIMEOUT):
        """The next message that satisfies pred; others are kept in .seen."""
        while True:
            try:
                m = self.q.get(timeout=timeout)
            except queue.Empty:
                return None
            if m is None:
                return None
            if pred(m):
                return m

    def diagnostics(self, uri, version):
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri and m["params"].get("version") == version)
        return None if m is None else m["params"]["diagnostics"]

    def close(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def init(c, encodings=None, options=None):
    caps = {"general": {"positionEncodings": encodings}} if encodings else {}
    params = {"processId": os.getpid(), "rootUri": None, "capabilities": caps}
    if options is not None:
        params["initializationOptions"] = options
    r = c.request("initialize", params)
    c.notify("initialized", {})
    return r


def apply_edits(text, edits):
    """Applies LSP TextEdits counted in code points (what the test negotiates)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)

    def off(p):
        if p["line"] >= len(offsets):
            return len(text)
        return min(offsets[p["line"]] + p["character"], len(text))
    for e in sorted(edits, key=lambda e: off(e["range"]["start"]), reverse=True):
        text = text[:off(e["range"]["start"])] + e["newText"] + text[off(e["range"]["end"]):]
    return text


def open_with_host(uri, text, host):
    """A server whose "host" option is @host, with @text open: it and the findings."""
    c = Client(["--no-libvirt-schemas"])
    init(c, None, {"host": host})
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "xml", "version": 1, "text": text}})
    return c, c.diagnostics(uri, 1)


def shutdown(c):
    c.request("shutdown")
    c.notify("exit", None)
    return c.close()


def codes(diags):
    return sorted(d["code"] for d in diags or [])


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        host = os.path.join(tmp, "bcm5719")
        subprocess.run([sys.executable, os.path.join(SRCDIR, "tests", "hosts", "mkhost.py"),
                        os.path.join(SRCDIR, "tests", "hosts", "bcm5719.host"), host], check=True)
        opts = {"host": host, "kernelRelease": "6.12.0-hp", "libvirtSchemas": False}
        uri = "file://" + os.path.join(tmp, "vm.xml")
        text = open(MISSING).read()

        c = Client([])
        r = c.request("textDocument/hover", {})
        tap.ok(r is not None and r.get("error", {}).get("code") == -32002,
               "a request before initialize: ServerNotInitialized", r)
        r = init(c, ["utf-32", "utf-16"], opts)
        caps = (r or {}).get("result", {}).get("capabilities", {})
        tap.ok(caps.get("positionEncoding") == "utf-32" and caps.get("textDocumentSync", {}).get("change") == 2
               and caps.get("hoverProvider") is True
               and caps.get("codeActionProvider", {}).get("codeActionKinds") == ["quickfix"],
               "initialize: code points offered and taken, incremental sync, hover, quick fixes", r)
        r = c.request("initialize", {"capabilities": {}})
        tap.ok(r is not None and "error" in r, "a second initialize is refused", r)

        # open: the missing function 2 of the BCM5719 is found, at its place
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "xml", "version": 1,
                                                           "text": text}})
        d = c.diagnostics(uri, 1)
        mf = [x for x in d or [] if x["code"] == "multifunction-incomplete"]
        tap.ok(len(mf) == 1 and mf[0]["severity"] == 1 and mf[0]["source"] == "hostdev-preflight"
               and "0001:09:00.2" in mf[0]["message"],
               "didOpen: multifunction-incomplete published as an error", d)
        # a quick fix for it: applied by the client, the document is clean
        r = c.request("textDocument/codeAction", {"textDocument": {"uri": uri},
                                                  "range": mf[0]["range"] if mf else {},
                                                  "context": {"diagnostics": mf}})
        actions = (r or {}).get("result") or []
        tap.ok(len(actions) == 1 and actions[0]["kind"] == "quickfix" and "0001:09:00.2" in actions[0]["title"]
               and actions[0]["edit"]["documentChanges"][0]["textDocument"]["version"] == 1,
               "codeAction: one quick fix, versioned, that declares the missing function", (r, c.log()))
        fixed = apply_edits(text, actions[0]["edit"]["documentChanges"][0]["edits"]) if actions else text
        tap.ok("function='0x2'" in fixed and "assigned='no'" in fixed.split("function='0x2'")[0].rsplit("<hostdev", 1)[1],
               "the edit declares 0001:09:00.2 with assigned='no'", fixed)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 10},
                                            "contentChanges": [{"text": fixed}]})
        d = c.diagnostics(uri, 10)
        tap.ok(d == [], "after the quick fix the domain has no finding", d)
        r = c.request("textDocument/codeAction", {"textDocument": {"uri": uri},
                                                  "range": {"start": {"line": 0, "character": 0},
                                                            "end": {"line": 99, "character": 0}},
                                                  "context": {"diagnostics": []}})
        tap.ok(r is not None and r.get("result") == [], "nothing to repair: no code action", r)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 11},
                                            "contentChanges": [{"text": text}]})
        d = c.diagnostics(uri, 11)
        tap.ok(codes(d) == ["multifunction-incomplete"], "the original text again", d)

        lines = text.split("\n")
        hostdev_line = next(i for i, l in enumerate(lines) if "<hostdev" in l)
        tap.ok(bool(mf) and mf[0]["range"]["start"] == {"line": hostdev_line, "character": lines[hostdev_line].index("<hostdev")},
               "the range starts where the first <hostdev> starts", mf and mf[0]["range"])

        # incremental change: insert function 2 before function 3: clean
        at = next(i for i, l in enumerate(lines) if "function='0x3'" in l) - 2
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                            "contentChanges": [{"range": {"start": {"line": at, "character": 0},
                                                                          "end": {"line": at, "character": 0}},
                                                                "text": FUNCTION2}]})
        d = c.diagnostics(uri, 2)
        tap.ok(d == [], "an incremental change that declares function 2 leaves no finding", d)

        # hover on the source address of function 0
        src_line = next(i for i, l in enumerate(lines) if "function='0x0'" in l and "domain='0x0001'" in l)
        r = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": {"line": src_line, "character": lines[src_line].index("<address") + 3}})
        value = ((r or {}).get("result") or {}).get("contents", {}).get("value", "")
        tap.ok("0001:09:00.0" in value and "tg3" in value and "IOMMU group: 17" in value and "0001:09:00.3" in value,
               "hover on a source address describes the host device and its group", r)
        r = c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}})
        tap.ok(r is not None and r.get("result") is None, "hover elsewhere: null", r)

        # a full change to something that is not XML, then back
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                            "contentChanges": [{"text": "<domain><devices>"}]})
        d = c.diagnostics(uri, 3)
        tap.ok(codes(d) == ["xml-malformed"], "a change that breaks the XML: xml-malformed", d)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4},
                                            "contentChanges": [{"text": text}]})
        d = c.diagnostics(uri, 4)
        tap.ok(codes(d) == ["multifunction-incomplete"], "and a change that repairs it is checked again", d)

        # hostile and unknown messages: answered, and the server goes on
        c.send_raw(b'{"jsonrpc":"2.0","id":99,"method":"foo"')
        r = c.wait(lambda m: "error" in m and m.get("id") is None)
        tap.ok(r is not None and r["error"]["code"] == -32700, "malformed JSON: a parse error", r)
        c.send_raw(b"[1,2]")
        r = c.wait(lambda m: "error" in m and m.get("id") is None)
        tap.ok(r is not None and r["error"]["code"] == -32600, "JSON that is not an object: invalid request", r)
        c.send_raw(b"\xff\xfe\x00garbage")
        r = c.wait(lambda m: "error" in m and m.get("id") is None)
        tap.ok(r is not None and r["error"]["code"] == -32700, "bytes that are not UTF-8 JSON: a parse error", r)
        r = c.request("workspace/frobnicate", {})
        tap.ok(r is not None and r.get("error", {}).get("code") == -32601, "an unknown request: MethodNotFound", r)
        c.notify("$/unknownNotification", {"x": 1})
        c.notify("textDocument/didChange", {"textDocument": {"uri": "file:///not/open.xml", "version": 1},
                                            "contentChanges": [{"text": "x"}]})
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 5},
                                            "contentChanges": [{"range": {"start": {"line": 2, "character": 0},
                                                                          "end": {"line": 1, "character": 0}},
                                                                "text": "x"}]})
        d = c.diagnostics(uri, 5)
        tap.ok(codes(d) == ["multifunction-incomplete"], "a backwards range is ignored, the text kept", d)

        c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        m = c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        tap.ok(m is not None and m["params"]["diagnostics"] == [], "didClose clears the document's findings", m)

        r = c.request("shutdown")
        tap.ok(r is not None and r.get("result") is None and "error" not in r, "shutdown", r)
        r = c.request("textDocument/hover", {})
        tap.ok(r is not None and r.get("error", {}).get("code") == -32600, "a request after shutdown is refused", r)
        c.notify("exit", None)
        rc = c.close()
        tap.ok(rc == 0, "exit after shutdown: status 0", rc)

        # UTF-16, the default: a character outside the BMP counts two units
        c = Client(["--no-libvirt-schemas", "--no-host"])
        r = init(c)
        tap.ok((r or {}).get("result", {}).get("capabilities", {}).get("positionEncoding") == "utf-16",
               "a client that offers nothing gets UTF-16", r)
        bad = ("<domain type='kvm'><name>x</name><devices><!-- \U0001F600 \u00e9 -->"
               "<hostdev mode='subsystem' type='pci' managed='yes' assigned='no'><source>"
               "<address domain='0x0' bus='0x1' slot='0x0' function='0x0'/></source>"
               "<address type='pci' domain='0x0' bus='0x1' slot='0x1' function='0x0'/></hostdev></devices></domain>")
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "xml", "version": 7, "text": bad}})
        d = c.diagnostics(uri, 7)
        ua = [x for x in d or [] if x["code"] == "unassigned-has-guest-address"]
        guest = bad.index("<address type='pci'")
        utf16 = len(bad[:guest].encode("utf-16-le")) // 2
        tap.ok(len(ua) == 1 and ua[0]["range"]["start"] == {"line": 0, "character": utf16},
               "a range in UTF-16 units after an emoji and an accented letter", (d, utf16))
        c.notify("exit", None)
        rc = c.close()
        tap.ok(rc == 1, "exit without shutdown: status 1", rc)

        # the host as a snapshot file written by capture: the same finding,
        # the kernel release the snapshot's (none given), and hover reads it
        snap = os.path.join(tmp, "bcm5719.snapshot")
        p = subprocess.run([BIN, "capture", "--root", host, "--kernel-release", "6.12.0-hp", "-o", snap],
                           capture_output=True, text=True)
        tap.ok(p.returncode == 0, "capture of the fake host for the snapshot case", p.stderr)
        c, d = open_with_host(uri, text, snap)
        mf = [x for x in d or [] if x["code"] == "multifunction-incomplete"]
        tap.ok(codes(d) == ["multifunction-incomplete"] and "0001:09:00.2" in mf[0]["message"],
               "host: a snapshot file: the host finding, and no modules-alias-missing (its own release)",
               (d, c.log()))
        r = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": {"line": src_line, "character": lines[src_line].index("<address") + 3}})
        value = ((r or {}).get("result") or {}).get("contents", {}).get("value", "")
        tap.ok("0001:09:00.0" in value and "tg3" in value and "IOMMU group: 17" in value,
               "hover reads the device from the snapshot", r)
        tap.ok(shutdown(c) == 0, "the snapshot server shuts down cleanly")
        garbled = os.path.join(tmp, "garbled.snapshot")
        with open(garbled, "wb") as f:
            f.write(b"hostdev-preflight-snapshot 1\ndir sys\nfile sys/x a\nfile sys/x b\n")
        c, d = open_with_host(uri, text, garbled)
        skipped = [x for x in d or [] if x["code"] == "host-checks-skipped"]
        tap.ok(len(skipped) == 1 and garbled + ":4:" in skipped[0]["message"],
               "a garbled snapshot: the host checks are skipped, saying the file and line", d)
        tap.ok(shutdown(c) == 0, "the server with a garbled snapshot shuts down cleanly")

        # the client goes away: the server ends
        c = Client(["--no-host"])
        init(c)
        rc = c.close()
        tap.ok(rc is not None, "end of input ends the server", rc)

        # usage
        p = subprocess.run([BIN, "lsp", "file.xml"], capture_output=True, text=True)
        tap.ok(p.returncode == 2 and "takes no FILE" in p.stderr, "lsp FILE is a usage error", p.stderr)
    tap.done()


if __name__ == "__main__":
    main()
