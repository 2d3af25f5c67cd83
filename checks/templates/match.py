"""Which device templates fit a device: by its sysObjectID, or by an object it answers.

``dutydesk probe`` asks this when an admin onboards a device. A template fits when the
device's sysObjectID starts with one of its ``match.sys_object_id`` prefixes, or when the
device answers a GET of its ``match.oid`` (an instance, e.g. ``...4.1.0`` or a table's
row ``.1``: many UPS cards report net-snmp's Linux sysObjectID, and RFC 1628 is spoken
by every vendor). One GET per object, so that an SNMPv1 agent's noSuchName for one
object does not hide the others. The catch-all
``system`` and ``interfaces`` templates (prefix ``1.3.6.1``) fit every agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from checks.evaluate import ProbeFailure
from checks.snmp_profiles import SYS_DESCR, SnmpQuery
from data.device_templates import DeviceTemplate

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


@dataclass(frozen=True)
class Identity:
    """What a device says it is, and the templates that fit it (most specific first)."""

    sys_object_id: str
    sys_descr: str
    matches: tuple[str, ...]


def _under(oid: str, prefix: str) -> bool:
    return oid == prefix or oid.startswith(prefix + ".")


def _specificity(template: DeviceTemplate, sys_object_id: str, answered: bool) -> int:
    """How closely a template fits (0: not at all): an answered object outweighs any
    prefix, and a longer sysObjectID prefix a shorter one, so a vendor's template comes
    before the standard one the same card also speaks."""
    prefix = [p.count(".") + 1 for p in template.match.sys_object_id if _under(sys_object_id, p)]
    return (100 if answered else 0) + max(prefix, default=0)


async def _answers(q: SnmpQuery, oid: str) -> bool:
    try:
        return (await q.get([oid]))[oid] is not None
    except ProbeFailure:  # noSuchName (v1), or no answer: not this template's object
        return False


async def identify(q: SnmpQuery, templates: Mapping[str, DeviceTemplate]) -> Identity:
    """sysObjectID, sysDescr and the fitting templates of the device ``q`` points at."""
    got = await q.get([SYS_OBJECT_ID, SYS_DESCR])
    sys_object_id, sys_descr = str(got[SYS_OBJECT_ID] or ""), str(got[SYS_DESCR] or "")
    probes = sorted({t.match.oid for t in templates.values() if t.match.oid is not None})
    answered = await asyncio.gather(*(_answers(q, oid) for oid in probes))
    present = {oid for oid, yes in zip(probes, answered, strict=True) if yes}
    scored = [
        (score, name)
        for name, t in templates.items()
        if (score := _specificity(t, sys_object_id, t.match.oid in present)) > 0
    ]
    matches = tuple(name for _, name in sorted(scored, key=lambda s: (-s[0], s[1])))
    return Identity(sys_object_id, sys_descr, matches)
