"""The emergency plans dutydesk ships (应急预案): YAML plans in this folder.

Sites copy them next to site.yaml, adapt them (names, phone numbers, steps) and list them
under ``emergency.plans:``; a site that lists none runs these as they are.
``data.emergency_plans.shipped_plans()`` loads them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

TEMPLATE_FILES: tuple[str, ...] = ("power-failure.yaml", "core-switch-down.yaml", "ransomware.yaml")


def template_path(file_name: str) -> Path:
    """The path of a shipped plan, e.g. ``template_path("ransomware.yaml")``."""
    if file_name not in TEMPLATE_FILES:
        raise KeyError(file_name)
    return Path(str(resources.files(__name__).joinpath(file_name)))


def template_text(file_name: str) -> str:
    """A shipped plan's YAML text, for copying into a site's folder."""
    return template_path(file_name).read_text(encoding="utf-8")
