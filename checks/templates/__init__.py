"""Device templates at work: run one against a device, find the ones that fit it.

The templates themselves (the YAML format, the shipped files, a site's ``templates/``)
are data: ``data.device_templates``.
"""

from checks.templates.evaluate import evaluate_template
from checks.templates.match import Identity, identify
from checks.templates.run import run_snmp_check

__all__ = ["Identity", "evaluate_template", "identify", "run_snmp_check"]
