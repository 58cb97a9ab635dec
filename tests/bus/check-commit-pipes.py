# SPDX-License-Identifier: GPL-2.0-or-later
"""CheckCommit with pipes that do not end, as a hostile local caller would
send them, on the system bus that DBUS_SYSTEM_BUS_ADDRESS names. Each
call gets a pipe of its own: the read end goes to the daemon (our copy
closed at once), the write end stays here, so the daemon's copy of the
read end is the only one left: when the daemon lets go of it, the write
end reports POLLERR. That is how "the descriptor is closed" is seen.

  check-commit-pipes.py per-sender   5 calls on one connection: the 5th is
                                     refused (LimitsExceeded); the
                                     connection closes and the daemon lets
                                     go of the 4 pipes
  check-commit-pipes.py total        17 connections with one call each:
                                     one is refused, the rest let go of
                                     when they close
  check-commit-pipes.py deadline     one call whose pipe never ends: the
                                     reply is InvalidConfig "timed out",
                                     and the pipe is let go of
  check-commit-pipes.py budget       two 40 MiB configs that never end:
                                     the second is LimitsExceeded
  check-commit-pipes.py off-loop FILE
                                     CheckCommit of FILE (a big config)
                                     while IsPathManaged is called again and
                                     again: the main loop answers at least 5
                                     of them before CheckCommit's reply
  check-commit-pipes.py flood SECONDS
                                     16 connections keep 4 such calls each
                                     in flight (1 MiB written into each
                                     pipe) for SECONDS; prints what came
                                     back

Every wait is bounded; prints "ok SCENARIO" or exits 1 with the reason.
"""
import os
import select
import sys
import threading
import time

from gi.repository import Gio, GLib

NAME = "org.vyos.ConfigReplication"
PATH = "/org/vyos/ConfigReplication"
ADDRESS = os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
CONFIG = b"firewall {\n    name WAN {\n        default-action \"drop\"\n"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def connect():
    return Gio.DBusConnection.new_for_address_sync(
        ADDRESS,
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)


class Call:
    """One CheckCommit with a pipe; .outcome is None while in flight, else
    "ok" or the D-Bus error name and message."""

    def __init__(self, conn, data=CONFIG, writer_bytes=0):
        self.outcome = None
        rfd, self.wfd = os.pipe()
        os.set_blocking(self.wfd, False)
        os.write(self.wfd, data[:65536])
        fds = Gio.UnixFDList.new()
        fds.append(rfd)   # dups it
        os.close(rfd)
        conn.call_with_unix_fd_list(
            NAME, PATH, NAME, "CheckCommit", GLib.Variant("(h)", (0,)),
            GLib.VariantType("(a(ss))"), Gio.DBusCallFlags.NONE, 120000, fds, None,
            self._done, conn)
        if writer_bytes:
            threading.Thread(target=self._feed, args=(writer_bytes,), daemon=True).start()

    def _feed(self, count):
        """Writes @count bytes of comment lines, then keeps the pipe open."""
        chunk = b"/* " + b"x" * 1000 + b" */\n"
        left = count
        while left > 0:
            try:
                left -= os.write(self.wfd, chunk[:left])
            except BlockingIOError:
                select.select([], [self.wfd], [], 1)
            except OSError:
                return   # the daemon let go of the pipe

    def _done(self, conn, result, _):
        try:
            conn.call_with_unix_fd_list_finish(result)
            self.outcome = "ok"
        except GLib.Error as e:
            self.outcome = f"{Gio.DBusError.get_remote_error(e)}: {e.message}"

    def released(self):
        """True once no read end is left (the daemon closed its copy)."""
        p = select.poll()
        p.register(self.wfd, select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in p.poll(0))


def spin(condition, seconds):
    """Runs the main context until @condition() holds, at most @seconds."""
    ctx = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        ctx.iteration(False)
        time.sleep(0.01)
    return True


def refused(calls):
    return [c for c in calls if c.outcome and "LimitsExceeded" in c.outcome]


def expect_one_refused(calls):
    if not spin(lambda: refused(calls), 10):
        fail(f"no call was refused: {[c.outcome for c in calls]}")
    spin(lambda: False, 0.5)   # anything else that would come back
    if len(refused(calls)) != 1 or any(c.outcome for c in calls if c not in refused(calls)):
        fail(f"want exactly one LimitsExceeded: {[c.outcome for c in calls]}")
    print(f"# refused: {refused(calls)[0].outcome}", file=sys.stderr)


def expect_released(calls, why):
    if not spin(lambda: all(c.released() for c in calls), 20):
        fail(f"the daemon still holds {sum(not c.released() for c in calls)} pipes {why}")


def per_sender():
    conn = connect()
    calls = [Call(conn) for _ in range(5)]
    expect_one_refused(calls)
    expect_released(refused(calls), "after refusing them")
    conn.close_sync(None)
    expect_released(calls, "of a connection that left")


def total():
    conns = [connect() for _ in range(17)]
    calls = []
    for conn in conns:
        calls.append(Call(conn))
        spin(lambda: False, 0.02)   # in order: the 17th is the one refused
    expect_one_refused(calls)
    if refused(calls)[0] is not calls[-1]:
        fail("the refused call is not the 17th")
    for conn in conns:
        conn.close_sync(None)
    expect_released(calls, "of connections that left")


def deadline():
    conn = connect()
    call = Call(conn)
    if not spin(lambda: call.outcome, 30):
        fail("no answer within 30 s to a pipe that never ends")
    if "InvalidConfig" not in call.outcome or "timed out" not in call.outcome:
        fail(f"want InvalidConfig … timed out: {call.outcome}")
    print(f"# {call.outcome}", file=sys.stderr)
    expect_released([call], "after answering")


def budget():
    conns = [connect(), connect()]
    calls = [Call(conns[0], writer_bytes=40 << 20)]
    spin(lambda: False, 2)   # the first one's bytes are in
    calls.append(Call(conns[1], writer_bytes=40 << 20))
    if not spin(lambda: refused(calls), 20):
        fail(f"nothing refused: {[c.outcome for c in calls]}")
    if refused(calls)[0] is not calls[1]:
        fail(f"want the second refused: {[c.outcome for c in calls]}")
    print(f"# refused: {calls[1].outcome}", file=sys.stderr)
    expect_released([calls[1]], "after refusing it")


def off_loop(path):
    conn = connect()
    fd = os.open(path, os.O_RDONLY)
    fds = Gio.UnixFDList.new()
    fds.append(fd)
    state = {"check": None}

    def done(c, result, _):
        try:
            c.call_with_unix_fd_list_finish(result)
            state["check"] = "ok"
        except GLib.Error as e:
            state["check"] = e.message

    conn.call_with_unix_fd_list(
        NAME, PATH, NAME, "CheckCommit", GLib.Variant("(h)", (0,)),
        GLib.VariantType("(a(ss))"), Gio.DBusCallFlags.NONE, 120000, fds, None, done, None)
    answered = 0
    ctx = GLib.MainContext.default()
    while state["check"] is None and answered < 1000:
        conn.call_sync(NAME, PATH, NAME, "IsPathManaged",
                       GLib.Variant("(as)", (["firewall", "name", "WAN"],)),
                       GLib.VariantType("(bs)"), Gio.DBusCallFlags.NONE, 60000, None)
        while ctx.pending():
            ctx.iteration(False)
        if state["check"] is None:
            answered += 1
    spin(lambda: state["check"] is not None, 60)
    print(f"# {answered} IsPathManaged answered during CheckCommit ({state['check']})",
          file=sys.stderr)
    if answered < 5:
        fail(f"only {answered} IsPathManaged answered while CheckCommit ran")


def flood(seconds):
    conns = [connect() for _ in range(16)]
    calls = []
    end = time.monotonic() + seconds
    counts = {}
    while time.monotonic() < end:
        for conn in conns:
            mine = [c for c in calls if c.conn is conn and c.outcome is None]
            for _ in range(4 - len(mine)):
                c = Call(conn, writer_bytes=1 << 20)
                c.conn = conn
                calls.append(c)
        spin(lambda: False, 0.2)
        for c in [c for c in calls if c.outcome is not None]:
            key = c.outcome.split(":")[0]
            counts[key] = counts.get(key, 0) + 1
            calls.remove(c)
            os.close(c.wfd)
    print(f"# flood outcomes: {counts}", file=sys.stderr)


scenario = sys.argv[1]
if scenario == "flood":
    flood(float(sys.argv[2]))
elif scenario == "off-loop":
    off_loop(sys.argv[2])
else:
    {"per-sender": per_sender, "total": total, "deadline": deadline,
     "budget": budget}[scenario]()
print(f"ok {scenario}")
