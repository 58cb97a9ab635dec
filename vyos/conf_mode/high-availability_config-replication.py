#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# VyOS conf-mode script of `high-availability config-replication`
# (installed to /usr/libexec/vyos/conf_mode/, named by the node's owner in
# vyos/interface-definitions/). In VyOS's shape:
#   get_config  the node as config.boot text, plus what verify/apply need;
#   verify      refuses exactly what `vyos-config-replication config check`
#               refuses (it runs it: same messages: an exclusion or an
#               override outside the replicate paths, ...), and warns when
#               a replicate path names no node VyOS's templates define, and
#               while allow-protocol-v1 is set;
#   generate    writes the settings under /run/vyos-config-replication (root
#               only; the apply token of the daemon lives there too) and links
#               the post-commit hook into /run/scripts/commit/post-hooks.d/;
#   apply       enables and starts the service, or reloads it, or stops and
#               disables it when the node is deleted.
#
# The daemon and the commit guard read the settings from the *active*
# config, which VyOS updates only after this script succeeds: the reload
# asked for here is therefore done again by the post-commit hook, once the
# commit is written (the marker reload-pending in a folder of group
# vyattacfg, so that the hook, which runs as the committing user, can
# remove it).
#
# Paths can be redirected for tests by environment (VCR_CLIENT,
# VCR_SYSTEMCTL, VCR_RUN_DIR, VCR_HOOK_STATE_DIR, VCR_POST_HOOKS_DIR,
# VCR_POST_HOOK, VCR_CFG_TEMPLATES).

import grp
import os
import re
import subprocess
import sys
import tempfile

from vyos.config import Config
from vyos.base import Warning
from vyos import ConfigError

BASE = ['high-availability', 'config-replication']
UNIT = 'vyos-config-replicationd.service'
HOOK_NAME = '50-vyos-config-replication'


def env(name, default):
    return os.environ.get(name) or default


CLIENT = env('VCR_CLIENT', '/usr/bin/vyos-config-replication')
SYSTEMCTL = env('VCR_SYSTEMCTL', '/bin/systemctl')
RUN_DIR = env('VCR_RUN_DIR', '/run/vyos-config-replication')
HOOK_STATE_DIR = env('VCR_HOOK_STATE_DIR', '/run/vyos-config-replication-hook')
POST_HOOKS_DIR = env('VCR_POST_HOOKS_DIR', '/run/scripts/commit/post-hooks.d')
POST_HOOK = env('VCR_POST_HOOK', '/usr/libexec/vyos-config-replication/commit-post-hook')
CFG_TEMPLATES = env('VCR_CFG_TEMPLATES', '/opt/vyatta/share/vyatta-cfg/templates')


def quote(value):
    """A config.boot value: in double quotes, backslash and quote escaped
    (then unescape_backslash() below, as VyOS writes config.boot)."""
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


# vyos-1x configtree.py: in quoted values that end a line, VyOS writes
# backslashes undoubled (and doubles them again when it reads the file).
_ENDS_LINE = re.compile(r'("[^"]*[\\][^"]*"\n|\'[^\']*[\\][^\']*\'\n)')


def unescape_backslash(text):
    return _ENDS_LINE.sub(lambda m: m.group(0).replace('\\\\', '\\'), text)


def render(conf):
    """The node, ancestors included, as config.boot text."""
    def leaf(path, name, indent):
        out = []
        for value in conf.return_values(path + [name]):
            out.append(f'{indent}{name} {quote(value)}')
        return out

    lines = ['high-availability {', '    config-replication {']
    i2, i3 = " " * 8, " " * 12
    if conf.exists(BASE + ['allow-protocol-v1']):
        lines.append(i2 + 'allow-protocol-v1')   # valueless
    if conf.exists(BASE + ['authentication']):
        lines.append(i2 + 'authentication {')
        lines += leaf(BASE + ['authentication'], 'pre-shared-secret', i3)
        lines.append(i2 + '}')
    for name in ('listen-address', 'mode', 'port'):
        lines += leaf(BASE, name, i2)
    if conf.exists(BASE + ['primary']):
        lines.append(i2 + 'primary {')
        for name in ('address', 'port'):
            lines += leaf(BASE + ['primary'], name, i3)
        lines.append(i2 + '}')
    for replica in conf.list_nodes(BASE + ['replica']):
        # Tag values are words in config.boot; config check refuses odd names.
        lines.append(f'{i2}replica {replica} {{')
        for name in ('address', 'port'):
            lines += leaf(BASE + ['replica', replica], name, i3)
        # An override's tag value is a path: words with spaces, quoted.
        for path in conf.list_nodes(BASE + ['replica', replica, 'override']):
            lines.append(f'{i3}override {quote(path)} {{')
            lines += leaf(BASE + ['replica', replica, 'override', path], 'value', i3 + '    ')
            lines.append(i3 + '}')
        lines.append(i2 + '}')
    if conf.exists(BASE + ['replicate']):
        lines.append(i2 + 'replicate {')
        lines += leaf(BASE + ['replicate'], 'exclude', i3)
        lines += leaf(BASE + ['replicate'], 'path', i3)
        lines.append(i2 + '}')
    lines += ['    }', '}']
    return unescape_backslash('\n'.join(lines) + '\n')


def get_config(config=None):
    conf = config if config is not None else Config()
    if not conf.exists(BASE):
        return None
    return {
        'text': render(conf),
        'mode': conf.return_value(BASE + ['mode']),
        'paths': conf.return_values(BASE + ['replicate', 'path']),
        'allow_v1': conf.exists(BASE + ['allow-protocol-v1']),
    }


def names_a_node(words):
    """True when VyOS's config templates define the node at @words."""
    here = CFG_TEMPLATES
    for word in words:
        if os.path.isdir(os.path.join(here, word)) and word != 'node.tag':
            here = os.path.join(here, word)
        elif os.path.isdir(os.path.join(here, 'node.tag')):
            here = os.path.join(here, 'node.tag')
        else:
            return False
    return True


def refuse(message):
    """ConfigError, keeping config check's message as it is: ConfigError
    wraps it at 72 columns (vyos-1x python/vyos/base.py), which would break
    "high-availability" in two."""
    error = ConfigError(message)
    error.unwrapped = message
    raise error


def verify(c):
    if c is None:
        return None
    with tempfile.NamedTemporaryFile('w', prefix='vcr-settings-', suffix='.boot') as f:
        f.write(c['text'])
        f.flush()
        result = subprocess.run([CLIENT, 'config', 'check', f.name],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors='replace')
    if result.returncode != 0:
        # The client names the temporary file; the user knows no such file.
        refuse(result.stdout.replace(f.name + ': ', '').strip())
    if c['allow_v1']:
        Warning('allow-protocol-v1 is set: this router also speaks peer protocol v1, '
                'which sends the replicated config in clear text and which an active '
                'attacker can force; delete it once every router runs this release')
    if os.path.isdir(CFG_TEMPLATES):
        for path in c['paths']:
            if not names_a_node(path.split()):
                Warning(f'Replicate path "{path}" names no node this VyOS defines '
                        f'(1.4 and later write "firewall ipv4 name WAN", '
                        f'1.3 "firewall name WAN")')
    return None


def write_private(path, text):
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


def generate(c):
    hook = os.path.join(POST_HOOKS_DIR, HOOK_NAME)
    if c is None:
        for path in (hook, os.path.join(RUN_DIR, 'settings.boot'),
                     os.path.join(HOOK_STATE_DIR, 'reload-pending')):
            if os.path.lexists(path):
                os.unlink(path)
        return None
    os.makedirs(RUN_DIR, mode=0o700, exist_ok=True)
    os.chmod(RUN_DIR, 0o700)
    write_private(os.path.join(RUN_DIR, 'settings.boot'), c['text'])
    os.makedirs(HOOK_STATE_DIR, mode=0o770, exist_ok=True)
    try:
        os.chown(HOOK_STATE_DIR, -1, grp.getgrnam('vyattacfg').gr_gid)
    except (KeyError, PermissionError):
        pass   # no such group off VyOS (tests)
    os.chmod(HOOK_STATE_DIR, 0o770)
    write_private(os.path.join(HOOK_STATE_DIR, 'reload-pending'), '')
    # The hook pushes on a primary and does the pending reload on both.
    os.makedirs(POST_HOOKS_DIR, exist_ok=True)
    if os.path.lexists(hook):
        os.unlink(hook)
    os.symlink(POST_HOOK, hook)
    return None


def systemctl(*args):
    return subprocess.run([SYSTEMCTL, *args]).returncode


def apply(c):
    if c is None:
        systemctl('disable', '--now', UNIT)
        return None
    if systemctl('is-active', '--quiet', UNIT) == 0:
        systemctl('reload', UNIT)
    else:
        systemctl('enable', '--now', UNIT)
    return None


if __name__ == '__main__':
    try:
        c = get_config()
        verify(c)
        generate(c)
        apply(c)
    except ConfigError as e:
        print(getattr(e, 'unwrapped', e))
        sys.exit(1)
