# SPDX-License-Identifier: GPL-2.0-or-later
#
# Sketch: how vyos-configd (or any VyOS Python code that holds the proposed
# config) could call CheckCommit over D-Bus and abort the commit. Needs
# python3-dbus. NOT TESTED ON A REAL VYOS; the hook point inside
# vyos-configd is not chosen here (see docs/vyos-integration.md).

import os
import tempfile

import dbus

BUS_NAME = 'org.vyos.ConfigReplication'
OBJECT_PATH = '/org/vyos/ConfigReplication'


def check_commit(proposed_config_boot: str) -> list:
    """Returns the refusal lines ([] when the commit may go ahead).

    @proposed_config_boot: the proposed config in config.boot form, e.g.
    vyos.configtree.ConfigTree(...).to_string(). Raises dbus.DBusException
    when the daemon is unreachable or the text does not parse
    (org.vyos.ConfigReplication.Error.InvalidConfig).
    """
    bus = dbus.SystemBus()
    proxy = bus.get_object(BUS_NAME, OBJECT_PATH)
    iface = dbus.Interface(proxy, BUS_NAME)
    with tempfile.TemporaryFile(mode='w+') as f:
        f.write(proposed_config_boot)
        f.flush()
        f.seek(0)
        violations = iface.CheckCommit(dbus.types.UnixFd(f.fileno()))
    return [str(message) for (_path, message) in violations]


if __name__ == '__main__':
    import sys
    lines = check_commit(open(sys.argv[1]).read())
    for line in lines:
        print(line)
    sys.exit(1 if lines else 0)
