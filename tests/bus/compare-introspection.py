# SPDX-License-Identifier: GPL-2.0-or-later
"""Compares the org.vyos.ConfigReplication interface in two introspection
XML files (the documented contract and what the daemon introspects):
every method, signal and property with its arguments, types, directions and
access. Annotations and comments are documentation and are not compared."""
import sys
import xml.etree.ElementTree as ET

IFACE = "org.vyos.ConfigReplication"


def members(path):
    root = ET.parse(path).getroot()
    iface = [i for i in root.iter("interface") if i.get("name") == IFACE]
    if len(iface) != 1:
        sys.exit(f"{path}: {len(iface)} interfaces named {IFACE}")
    out = set()
    for m in iface[0]:
        if m.tag in ("method", "signal"):
            args = tuple((a.get("name"), a.get("type"),
                          a.get("direction", "in" if m.tag == "method" else "out"))
                         for a in m.findall("arg"))
            out.add((m.tag, m.get("name"), args))
        elif m.tag == "property":
            out.add((m.tag, m.get("name"), m.get("type"), m.get("access")))
    return out


a, b = members(sys.argv[1]), members(sys.argv[2])
for x in sorted(a - b, key=str):
    print("only in", sys.argv[1], x)
for x in sorted(b - a, key=str):
    print("only in", sys.argv[2], x)
if not a or a != b:
    sys.exit(1)
print(f"{len(a)} members match")
