"""Which code runs an SNMP check: its template (declarative, or a reader), or a custom
``oid`` or ``walk``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from checks.evaluate import ProbeFailure
from checks.result import CheckState, ProbeResult
from checks.snmp_profiles import READERS, SnmpQuery, custom_oid, custom_walk
from checks.templates.evaluate import evaluate_template
from data.device_templates import DeviceTemplate


async def run_snmp_check(q: SnmpQuery, templates: Mapping[str, DeviceTemplate]) -> ProbeResult:
    """The SNMP check ``q.check`` as a ProbeResult; ``templates`` are the site's, by name."""
    name = q.check.template_name
    if name is None:
        return await (custom_oid(q) if q.check.oid is not None else custom_walk(q))
    template = templates.get(name)
    if template is None:  # site.yaml's loader refuses this; a site built in code may not
        raise ProbeFailure(CheckState.UNKNOWN, f"no device template {name!r}")
    q = dataclasses.replace(q, template=template)
    if template.reader is not None:
        return await READERS[template.reader](q)
    return await evaluate_template(q, template)
