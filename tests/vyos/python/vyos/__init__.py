# SPDX-License-Identifier: GPL-2.0-or-later
#
# A stand-in for VyOS's `vyos` Python package, for the conf-mode script's
# tests only: just what the script uses, with VyOS's documented behaviour
# (vyos-1x python/vyos/__init__.py: ConfigError from base.py; base.py:
# Warning; config.py: Config).
from .base import ConfigError  # noqa: F401
