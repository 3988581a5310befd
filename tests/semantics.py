#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""PCI semantics defined once: the C side and the normalizing stylesheet
pass the same vectors.

- tests/data/pci-numbers.tsv (the C parser's vectors, hp_number_parse):
  every vector through the stylesheet's own number reader (a stylesheet
  that imports normalize.xsl and calls it, run by xsltproc); and every
  vector whose maximum is a PCI field's, as that field of a host device's
  source address, through `normalize` (the C rules refuse, or the value is
  written in hex) and through xsltproc on normalize.xsl (the same hex
  value, or the transform stops).
- tests/data/pci-hostdev-kinds.tsv ("is this a PCI host device"): each
  device through the C model (`validate`: the pci-address-octal warning on
  its source bus='010') and through the stylesheet (`normalize` and
  xsltproc: bus='0x08').
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hptest import DATA, SRCDIR, Tap, run  # noqa: E402

XSL = os.path.join(SRCDIR, "schemas", "normalize.xsl")
FIELDS = {65535: ("domain", 4), 255: ("bus", 2), 31: ("slot", 2), 7: ("function", 1)}


def unescape(text):
    """The TSV's \\xHH and \\\\ escapes; None when the bytes are no UTF-8."""
    out, i = bytearray(), 0
    while i < len(text):
        if text.startswith("\\x", i):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif text.startswith("\\\\", i):
            out.append(0x5C)
            i += 2
        else:
            out += text[i].encode()
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None


def xml_ok(text):
    """Whether XML 1.0 can carry TEXT at all."""
    return all(c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD
               or 0x10000 <= ord(c) <= 0x10FFFF for c in text)


def vectors():
    rows = []
    with open(os.path.join(DATA, "pci-numbers.tsv"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            text, mx, want = line.split("\t")
            rows.append((n, text, unescape(text), int(mx), want))
    return rows


def domain(source_attrs):
    return ("<domain type='kvm'><name>v</name><devices>\n"
            f"<hostdev mode='subsystem' type='pci' managed='yes'><source><address {source_attrs}/></source></hostdev>\n"
            "</devices></domain>\n")


def xsltproc(args, stdin_text=None, path=None):
    cmd = ["xsltproc"] + args + [XSL, path if path else "-"]
    return subprocess.run(cmd, input=stdin_text, capture_output=True, text=True)


def numbers_through_template(tap, rows, tmp):
    """Every vector through the stylesheet's number reader itself."""
    carried = [r for r in rows if r[2] is not None and xml_ok(r[2])]
    others = [r for r in rows if r not in carried]
    tap.ok(all(r[4] == "invalid" for r in others),
           "vectors XML cannot carry (no stylesheet sees them) expect 'invalid'",
           [r[:2] + r[3:] for r in others if r[4] != "invalid"])
    data = os.path.join(tmp, "vectors.xml")
    with open(data, "w", encoding="utf-8") as f:
        f.write("<vectors>\n")
        for n, _, value, mx, _ in carried:
            f.write(f"<v n='{n}' s={quoteattr(value, {chr(9): '&#9;', chr(10): '&#10;', chr(13): '&#13;'})} max='{mx}'/>\n")
        f.write("</vectors>\n")
    probe = os.path.join(tmp, "probe.xsl")
    with open(probe, "w") as f:
        f.write(f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href={quoteattr('file://' + XSL)}/>
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:for-each select="vectors/v">
      <xsl:value-of select="@n"/><xsl:text>&#9;</xsl:text>
      <xsl:call-template name="pci-number">
        <xsl:with-param name="s" select="string(@s)"/>
        <xsl:with-param name="max" select="number(@max)"/>
      </xsl:call-template>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
""")
    p = subprocess.run(["xsltproc", probe, data], capture_output=True, text=True)
    got = dict(line.split("\t", 1) for line in p.stdout.splitlines() if "\t" in line)
    wrong = [f"line {n}: {text!r} (max {mx}) gives {got.get(str(n))!r}, expected {want!r}"
             for n, text, _, mx, want in carried if got.get(str(n)) != want]
    tap.ok(p.returncode == 0 and not wrong,
           f"the stylesheet's number reader agrees with all {len(carried)} vectors XML can carry",
           p.stderr + "\n".join(wrong))


def numbers_through_documents(tap, rows):
    """Vectors of PCI fields as a host device's source address field."""
    disagree = []
    tried = 0
    for n, text, value, mx, want in rows:
        if mx not in FIELDS or value is None or not xml_ok(value):
            continue
        tried += 1
        field, width = FIELDS[mx]
        escaped = quoteattr(value, {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})
        doc = domain(f"{field}={escaped}")
        rc, out, err = run(["normalize", "--no-libvirt-schemas", "-"], stdin=doc.encode())
        x = xsltproc([], stdin_text=doc)
        if want in ("invalid", "out-of-range"):
            if rc != 1 or "[pci-address-invalid]" not in err:
                disagree.append(f"line {n}: {text!r} as {field}: normalize did not refuse it (exit {rc}) {err}")
            if x.returncode == 0 or "of <address> is" not in x.stderr:
                disagree.append(f"line {n}: {text!r} as {field}: xsltproc wrote {x.stdout!r}")
            continue
        hexval = f"0x{int(want.split()[1]):0{width}x}"
        if rc != 0 or f"{field}='{hexval}'" not in out:
            disagree.append(f"line {n}: {text!r} as {field}: normalize (exit {rc}) wrote {out!r}, expected {hexval} {err}")
        if x.returncode != 0 or f'{field}="{hexval}"' not in x.stdout:
            disagree.append(f"line {n}: {text!r} as {field}: xsltproc wrote {x.stdout!r} {x.stderr}, expected {hexval}")
    tap.ok(tried >= 40 and not disagree,
           f"{tried} vectors as source address fields: normalize and xsltproc refuse or write what the vectors say",
           "\n".join(disagree))


def kinds(tap):
    path = os.path.join(DATA, "pci-hostdev-kinds.tsv")
    rows = [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")
            if line.strip() and not line.startswith("#")]
    tap.ok(len(rows) >= 12 and all(len(r) == 3 and r[1] in ("hostdev", "interface", "no") for r in rows),
           f"{len(rows)} device kinds in pci-hostdev-kinds.tsv", rows)
    for name, want, element in rows:
        doc = f"<domain type='kvm'><name>k</name><devices>\n{element}\n</devices></domain>\n"
        pci = want != "no"
        rc, out, err = run(["validate", "--no-host", "--no-libvirt-schemas", "--format", "json", "-"],
                           stdin=doc.encode())
        try:
            diags = json.loads(out)["files"][0]["diagnostics"]
        except (ValueError, KeyError, IndexError):
            diags = None
        c_model = diags is not None and any(d["rule"] == "pci-address-octal" for d in diags)
        tap.ok(rc == 0 and diags is not None and c_model == pci,
               f"{name}: the C model {'reads' if pci else 'does not read'} it as a PCI host device", out + err)
        rc, norm, err = run(["normalize", "--no-libvirt-schemas", "-"], stdin=doc.encode())
        x = xsltproc([], stdin_text=doc)
        try:
            tree = ET.fromstring(norm)
            xtree = ET.fromstring(x.stdout)
        except ET.ParseError:
            tree = xtree = None
        buses = [a.get("bus") for t in (tree, xtree) if t is not None
                 for a in t.iter("address") if a.get("bus") is not None]
        want_bus = "0x08" if pci else "010"
        tap.ok(rc == 0 and x.returncode == 0 and len(buses) == 2 and set(buses) == {want_bus},
               f"{name}: normalize and xsltproc {'normalize' if pci else 'leave'} it (bus={want_bus})",
               f"normalize exit {rc}: {norm}{err}\nxsltproc: {x.stdout}{x.stderr}")


def main():
    tap = Tap()
    rows = vectors()
    tap.ok(len(rows) >= 60, f"{len(rows)} vectors in pci-numbers.tsv")
    with tempfile.TemporaryDirectory() as tmp:
        numbers_through_template(tap, rows, tmp)
    numbers_through_documents(tap, rows)
    kinds(tap)
    tap.done()


if __name__ == "__main__":
    main()
