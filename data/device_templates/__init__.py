"""Device templates: per model family, what an SNMP check reads and how it judges it.

``model`` is the YAML format, ``loader`` reads the shipped templates (``shipped/``) and a
site's ``templates/`` folder; ``checks.templates`` runs them against a device.
"""

from data.device_templates.loader import (
    load_site_templates,
    read_template_folder,
    shipped_templates,
)
from data.device_templates.model import DeviceTemplate, Match, Reading, StateCode

__all__ = [
    "DeviceTemplate",
    "Match",
    "Reading",
    "StateCode",
    "load_site_templates",
    "read_template_folder",
    "shipped_templates",
]
