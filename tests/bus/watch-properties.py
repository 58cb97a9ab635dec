# SPDX-License-Identifier: GPL-2.0-or-later
"""Watches the daemon's properties and its PropertiesChanged signals on
the system bus that DBUS_SYSTEM_BUS_ADDRESS names, and fails when a
property changed without the signal saying so.

  watch-properties.py PROPERTY READY_FILE DONE_FILE

Takes every property's value (GetAll), subscribes to PropertiesChanged,
then creates READY_FILE. Once DONE_FILE exists (the test made its
change), waits until PROPERTY differs from its first value (it must
change: else the test proves nothing), then reads every property again
and compares each with the value the signals last announced. The signals
are handled in the order they arrive, before the answer to that last
read, so any change made before it was announced before it. Every wait
is bounded. Exits 0 when all match, 1 otherwise, naming what differs.
"""
import os
import sys
import time

from gi.repository import Gio, GLib

NAME = "org.vyos.ConfigReplication"
PATH = "/org/vyos/ConfigReplication"
PROPS = "org.freedesktop.DBus.Properties"

prop, ready_file, done_file = sys.argv[1:4]
bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
ctx = GLib.MainContext.default()
announced = {}
signals = []


def on_changed(conn, sender, path, iface, member, params, _):
    interface, changed, invalidated = params.unpack()
    if interface != NAME:
        return
    for key, value in changed.items():
        announced[key] = value
        signals.append(key)
    for key in invalidated:
        announced.pop(key, None)   # "changed, ask": counts as announced
        signals.append(key + " (invalidated)")


def get_all():
    """GetAll, asked asynchronously so that the signals that came before
    its answer are handled first."""
    box = []
    bus.call(NAME, PATH, PROPS, "GetAll", GLib.Variant("(s)", (NAME,)),
             GLib.VariantType("(a{sv})"), Gio.DBusCallFlags.NONE, 10000, None,
             lambda c, r, _: box.append(c.call_finish(r).unpack()[0]), None)
    end = time.monotonic() + 10
    while not box and time.monotonic() < end:
        ctx.iteration(True)
    if not box:
        print("FAIL: no answer to GetAll")
        sys.exit(1)
    return box[0]


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ctx.iteration(False)
        time.sleep(0.01)


bus.signal_subscribe(NAME, PROPS, "PropertiesChanged", PATH, None,
                     Gio.DBusSignalFlags.NONE, on_changed, None)
first = get_all()
announced.update(first)
open(ready_file, "w").close()

end = time.monotonic() + 60
while not os.path.exists(done_file):
    if time.monotonic() > end:
        print("FAIL: the test never said it was done")
        sys.exit(1)
    spin(0.05)

end = time.monotonic() + 20
now = get_all()
while now.get(prop) == first.get(prop) and time.monotonic() < end:
    spin(0.1)
    now = get_all()
if now.get(prop) == first.get(prop):
    print(f"FAIL: {prop} never changed from {first.get(prop)!r}: the test proves nothing")
    sys.exit(1)

failed = False
for key, value in sorted(now.items()):
    if key == "Version":
        continue
    if key not in announced:
        continue   # invalidated: a client asks again, nothing is stale
    if announced[key] != value:
        print(f"FAIL: {key} is {value!r} but PropertiesChanged last said {announced[key]!r}")
        failed = True
print(f"{prop}: {first.get(prop)!r} -> {now.get(prop)!r}; signalled: {', '.join(signals)}")
sys.exit(1 if failed else 0)
