"""Key bindings whose descriptions are translation keys.

Textual reads BINDINGS when the class is created, before the site's language is known, so
bindings carry catalog keys as descriptions and each screen translates its own copy when it
is built. Ids stay untouched so site.yaml's keymap can remap them.
"""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from data.i18n import t


def translate_bindings(node: DOMNode) -> None:
    bindings = node._bindings.key_to_bindings
    for key, entries in bindings.items():
        bindings[key] = [
            dataclasses.replace(b, description=t(b.description)) if b.description else b
            for b in entries
        ]
