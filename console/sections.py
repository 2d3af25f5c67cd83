"""The console's sections, in navigation order: id, key, catalog key of the label.

A section with no key (None) is reached from the command palette (and from its own
bindings elsewhere, e.g. A on the wall opens the asset register): the digits are taken.
"""

from __future__ import annotations

SECTIONS: list[tuple[str, str | None, str]] = [
    ("wall", "1", "nav.wall"),
    ("alarms", "2", "nav.alarms"),
    ("handover", "3", "nav.handover"),
    ("visitors", "4", "nav.visitors"),
    ("inspections", "5", "nav.inspections"),
    ("incidents", "6", "nav.incidents"),
    ("reports", "7", "nav.reports"),
    ("roster", "8", "nav.roster"),
    ("hotline", "9", "nav.hotline"),
    ("plans", "0", "nav.plans"),
    ("assets", None, "nav.assets"),
]
