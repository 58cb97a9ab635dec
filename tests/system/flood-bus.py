# SPDX-License-Identifier: GPL-2.0-or-later
"""An unprivileged local user flooding the daemon on the system bus that
DBUS_SYSTEM_BUS_ADDRESS names, for SECONDS, from one process with many
connections:

  - CheckCommit: 16 connections keep 4 calls each in flight, each with a
    pipe into which 4 MiB are written and that is never closed (a new
    call as soon as one is answered);
  - IsPathManaged: 4 connections keep 8 calls each in flight, half of them
    with 256 words (the most that is taken), half with 100,000 words;
  - Verify: 4 connections keep 4 calls each in flight.

  flood-bus.py SECONDS [READY_FILE]

READY_FILE is created once two kinds of call have been answered (or 15 s
after the start, whatever the daemon did). Prints the outcomes counted per method and error name on stdout.
"""
import collections
import fcntl
import os
import sys
import time

from gi.repository import Gio, GLib

NAME = "org.vyos.ConfigReplication"
PATH = "/org/vyos/ConfigReplication"
ADDRESS = os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
PIPE_BYTES = 4 << 20
LINE = (b"/* " + b"x" * 1000 + b" */\n") * 64

outcomes = collections.Counter()
seen = set()


def connect():
    return Gio.DBusConnection.new_for_address_sync(
        ADDRESS,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)


def count(method, conn, result, fd_call):
    try:
        if fd_call:
            conn.call_with_unix_fd_list_finish(result)
        else:
            conn.call_finish(result)
        key = "ok"
    except GLib.Error as e:
        key = Gio.DBusError.get_remote_error(e) or e.message
    outcomes[(method, key)] += 1
    seen.add(method)


class Pipe:
    """One CheckCommit whose pipe gets PIPE_BYTES and is never closed."""

    def __init__(self, conn, again):
        self.conn, self.again, self.left = conn, again, PIPE_BYTES
        rfd, self.wfd = os.pipe()
        os.set_blocking(self.wfd, False)
        try:   # a pipe of 1 MiB: the daemon reads faster than 64 KiB at a time
            fcntl.fcntl(self.wfd, 1031, 1 << 20)   # F_SETPIPE_SZ
        except OSError:
            pass
        fds = Gio.UnixFDList.new()
        fds.append(rfd)
        os.close(rfd)
        conn.call_with_unix_fd_list(
            NAME, PATH, NAME, "CheckCommit", GLib.Variant("(h)", (0,)),
            GLib.VariantType("(a(ss))"), Gio.DBusCallFlags.NONE, 60000, fds, None,
            self.done, None)
        self.watch = GLib.io_add_watch(self.wfd, GLib.PRIORITY_DEFAULT,
                                       GLib.IO_OUT | GLib.IO_ERR, self.feed)

    def feed(self, fd, condition):
        try:
            while self.left > 0:
                self.left -= os.write(self.wfd, LINE[:self.left])
        except BlockingIOError:
            return True
        except OSError:
            pass   # the daemon let go of the pipe
        self.watch = 0
        return False

    def done(self, conn, result, _):
        count("CheckCommit", conn, result, True)
        if self.watch:
            GLib.source_remove(self.watch)
        os.close(self.wfd)
        self.again()


def keep(n, make):
    """Keeps @n calls made by make(again) in flight."""
    def again():
        if time.monotonic() < end:
            make(again)
    for _ in range(n):
        make(again)


def managed_call(conn, args):
    def make(again):
        def done(c, result, _):
            count("IsPathManaged", c, result, False)
            again()
        conn.call(NAME, PATH, NAME, "IsPathManaged", args,
                  GLib.VariantType("(bs)"), Gio.DBusCallFlags.NONE, 60000, None, done, None)
    return make


def verify_call(conn):
    def make(again):
        def done(c, result, _):
            count("Verify", c, result, False)
            again()
        conn.call(NAME, PATH, NAME, "Verify", None, GLib.VariantType("(a(ssb))"),
                  Gio.DBusCallFlags.NONE, 60000, None, done, None)
    return make


seconds = float(sys.argv[1])
ready = sys.argv[2] if len(sys.argv) > 2 else None
end = time.monotonic() + seconds
deep = GLib.Variant("(as)", (["firewall", "name", "WAN"] + ["w%d" % i for i in range(253)],))
many = GLib.Variant("(as)", (["w"] * 100000,))
for _ in range(16):
    conn = connect()
    keep(4, lambda again, conn=conn: Pipe(conn, again))
for i in range(4):
    conn = connect()
    keep(4, managed_call(conn, deep))
    keep(4, managed_call(conn, many))
    keep(4, verify_call(connect()))

ctx = GLib.MainContext.default()
start = time.monotonic()
while time.monotonic() < end:
    ctx.iteration(True)
    if ready and (len(seen) >= 2 or time.monotonic() - start > 15):
        open(ready, "w").close()
        ready = None
for (method, key), n in sorted(outcomes.items()):
    print(f"{method} {key}: {n}")
