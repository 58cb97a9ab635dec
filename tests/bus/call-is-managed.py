# SPDX-License-Identifier: GPL-2.0-or-later
"""Calls IsPathManaged with generated words, for arguments too large for a
command line: COUNT words of SIZE bytes each ("x" repeated), after the
words given first. Prints "managed<TAB>replicate_path"; on a D-Bus error
prints "NAME: message" to stderr and exits 1."""
import sys

from gi.repository import Gio, GLib

count, size = int(sys.argv[1]), int(sys.argv[2])
words = sys.argv[3:] + ["x" * size] * count
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
try:
    result = bus.call_sync(
        "org.vyos.ConfigReplication", "/org/vyos/ConfigReplication",
        "org.vyos.ConfigReplication", "IsPathManaged",
        GLib.Variant("(as)", (words,)), GLib.VariantType("(bs)"),
        Gio.DBusCallFlags.NONE, 30000, None)
except GLib.Error as e:
    name = Gio.DBusError.get_remote_error(e) or ""
    message = Gio.DBusError.strip_remote_error(e) and e.message or e.message
    print(f"{name}: {message[:200]}", file=sys.stderr)
    sys.exit(1)
managed, path = result.unpack()
print(f"{str(managed).lower()}\t{path}")
