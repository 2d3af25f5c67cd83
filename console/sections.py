"""The console's sections, in navigation order: id, key, catalog key of the label."""

from __future__ import annotations

SECTIONS: list[tuple[str, str, str]] = [
    ("wall", "1", "nav.wall"),
    ("alarms", "2", "nav.alarms"),
    ("handover", "3", "nav.handover"),
    ("visitors", "4", "nav.visitors"),
    ("inspections", "5", "nav.inspections"),
    ("incidents", "6", "nav.incidents"),
    ("reports", "7", "nav.reports"),
    ("plans", "0", "nav.plans"),
    ("plans", "0", "nav.plans"),
    ("roster", "8", "nav.roster"),
    ("hotline", "9", "nav.hotline"),
]
