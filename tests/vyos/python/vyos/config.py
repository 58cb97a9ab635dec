# SPDX-License-Identifier: GPL-2.0-or-later
#
# Stand-in for vyos.config.Config: the proposed config is read from the
# JSON file $VCR_TEST_CONFIG in VyOS's JSON form (tag nodes are objects
# keyed by tag value, a leaf is a string or a list of strings). Paths are
# lists of words or one string of words, as in VyOS.
import json
import os


class Config:
    def __init__(self):
        path = os.environ['VCR_TEST_CONFIG']
        with open(path) as f:
            self._root = json.load(f)

    @staticmethod
    def _words(path):
        return path.split() if isinstance(path, str) else list(path)

    def _node(self, path):
        node = self._root
        for word in self._words(path):
            if not isinstance(node, dict) or word not in node:
                return None
            node = node[word]
        return node

    def exists(self, path):
        return self._node(path) is not None

    def return_value(self, path, default=None):
        node = self._node(path)
        if isinstance(node, list):
            return node[0] if node else default
        return node if isinstance(node, str) else default

    def return_values(self, path, default=[]):
        node = self._node(path)
        if isinstance(node, list):
            return list(node)
        return [node] if isinstance(node, str) else list(default)

    def list_nodes(self, path, default=[]):
        node = self._node(path)
        return list(node.keys()) if isinstance(node, dict) else list(default)
