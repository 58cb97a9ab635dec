# SPDX-License-Identifier: GPL-2.0-or-later
# Stand-in for vyos.base, as vyos-1x python/vyos/base.py behaves: Warning()
# prints "WARNING: …" on stdout between empty lines, wrapped at 72 columns;
# ConfigError wraps its message at 72 columns (so its line breaks are not
# kept).
from textwrap import fill


def Warning(message):
    print('')
    for i, line in enumerate(message.split('\n')):
        print(fill(line, width=72, initial_indent='WARNING: ' if i == 0 else ''))
    print('')


class ConfigError(Exception):
    def __init__(self, message):
        super().__init__(fill(message, width=72))
