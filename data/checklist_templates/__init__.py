"""The inspection templates dutydesk ships (巡检记录表): YAML checklists in this folder.

Sites copy them next to site.yaml, adapt them and list them under ``inspections:``;
``shipped_templates()`` loads them as they are (for ``dutydesk init`` and the tests).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from data.checklists import Checklist, load_checklist

TEMPLATE_FILES: tuple[str, ...] = ("daily-room.yaml", "monthly-system.yaml", "access-switch.yaml")
# Not a default of a site built in code: due only around the site's assurance periods,
# a site lists it under `inspections:` when it keeps them (schedule: pre_assurance).
PRE_HOLIDAY_FILE = "pre-holiday.yaml"


def template_path(file_name: str) -> Path:
    """The path of a shipped template, e.g. ``template_path("daily-room.yaml")``."""
    if file_name not in (*TEMPLATE_FILES, PRE_HOLIDAY_FILE):
        raise KeyError(file_name)
    return Path(str(resources.files(__name__).joinpath(file_name)))


def template_text(file_name: str) -> str:
    """A shipped template's YAML text, for copying into a new site's folder."""
    return template_path(file_name).read_text(encoding="utf-8")


def shipped_templates() -> list[Checklist]:
    """Every shipped template, loaded and validated (in ``TEMPLATE_FILES`` order)."""
    return [load_checklist(template_path(name)) for name in TEMPLATE_FILES]
