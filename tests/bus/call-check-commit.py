# SPDX-License-Identifier: GPL-2.0-or-later
"""Calls CheckCommit with the file descriptor of PATH (opened as it is, so
a folder works too) or of stdin ("-"), on the system bus that
DBUS_SYSTEM_BUS_ADDRESS names, COUNT times (default 1, one after the
other). busctl cannot pass descriptors, GDBus can. Prints one
"path<TAB>message" line per violation of the last call; on a D-Bus error
prints "NAME: message" to stderr and exits 1."""
import os
import sys

from gi.repository import Gio, GLib

path = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1
fd = 0 if path == "-" else os.open(path, os.O_RDONLY)
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
for _ in range(count):
    fds = Gio.UnixFDList.new()
    index = fds.append(fd)
    try:
        result, _ = bus.call_with_unix_fd_list_sync(
            "org.vyos.ConfigReplication", "/org/vyos/ConfigReplication",
            "org.vyos.ConfigReplication", "CheckCommit",
            GLib.Variant("(h)", (index,)), GLib.VariantType("(a(ss))"),
            Gio.DBusCallFlags.NONE, 10000, fds, None)
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) or ""
        message = e.message
        if message.startswith("GDBus.Error:"):
            message = message.split(": ", 1)[1]
        print(f"{name}: {message}", file=sys.stderr)
        sys.exit(1)
for replicate_path, message in result.unpack()[0]:
    print(f"{replicate_path}\t{message}")
