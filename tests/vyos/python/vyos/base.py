# SPDX-License-Identifier: GPL-2.0-or-later
# Stand-in for vyos.base: Warning() prints "WARNING: …" as VyOS does.
import sys


def Warning(message):
    print(f'\nWARNING: {message}', file=sys.stderr)
