"""Read device templates: the shipped ones and a site's own ``templates/`` folder.

Each template is one YAML file, read like site.yaml (``data.yaml_source``: limits, lines
kept, duplicate keys refused) so that a bad one is reported as
``file:line: key.path: message``. A site template with a shipped template's name takes
its place for that site (an admin's adjusted copy).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from data.device_templates.model import DeviceTemplate
from data.yaml_source import ConfigIssue, MarkedDoc, SiteConfigError, mapping_items, read_yaml

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_TEMPLATES = 500  # files in one folder: a site's own, or a mistake (a MIB dump)
SUFFIXES = (".yaml", ".yml")


def read_template(path: Path, display: str) -> tuple[DeviceTemplate | None, list[ConfigIssue]]:
    """The template in ``path`` (None when unusable) and its problems at their lines."""
    doc, issues = read_yaml(path, display, env=None)
    if doc is None:
        return None, issues
    if not NAME_PATTERN.match(path.stem):
        message = (
            f"a template's file name is its name: {path.stem!r} must match {NAME_PATTERN.pattern}"
        )
        issues.append(ConfigIssue(display, 0, "", message))
    try:
        template = DeviceTemplate.model_validate(doc.data)
    except ValidationError as e:
        return None, issues + doc.validation_issues(e)
    return (None if issues else template), issues


def read_template_folder(
    folder: Path, display: str
) -> tuple[dict[str, DeviceTemplate], list[ConfigIssue]]:
    """Every ``*.yaml`` template in ``folder`` by name, and the problems of the bad ones."""
    files = sorted(
        p for p in folder.iterdir() if p.suffix in SUFFIXES and not p.name.startswith(".")
    )
    if len(files) > MAX_TEMPLATES:
        return {}, [ConfigIssue(display, 0, "", f"more than {MAX_TEMPLATES} templates")]
    found: dict[str, DeviceTemplate] = {}
    issues: list[ConfigIssue] = []
    for path in files:
        template, problems = read_template(path, f"{display}/{path.name}")
        issues += problems
        if path.stem in found:
            issues.append(
                ConfigIssue(
                    f"{display}/{path.name}", 0, "", f"template {path.stem!r} is defined twice"
                )
            )
        elif template is not None:
            found[path.stem] = template
    return found, issues


@functools.cache
def shipped_templates() -> Mapping[str, DeviceTemplate]:
    """The templates dutydesk ships (``data/device_templates/shipped``), by name."""
    folder = resources.files("data.device_templates").joinpath("shipped")
    found, issues = read_template_folder(Path(str(folder)), "shipped")
    if issues:  # a broken shipped template is a bug: the tests load every one
        raise SiteConfigError(issues)
    return found


def load_site_templates(
    doc: MarkedDoc, folder: Path, display: str
) -> tuple[dict[str, DeviceTemplate], list[ConfigIssue]]:
    """A site's own templates (``folder`` may be absent) and every problem: the templates'
    own at their lines, and each snmp check of site.yaml naming a template that is not
    shipped nor in the folder, at the check's line."""
    found, issues = read_template_folder(folder, display) if folder.is_dir() else ({}, [])
    known = {**shipped_templates(), **found}
    for d, device in mapping_items(doc.data.get("devices")):
        for c, check in mapping_items(device.get("checks")):
            for key in ("template", "profile"):
                name = check.get(key)
                if check.get("type") == "snmp" and isinstance(name, str) and name not in known:
                    message = f"unknown template {name!r}; known: {', '.join(sorted(known))}"
                    issues.append(doc.issue(("devices", d, "checks", c, key), message))
    return found, issues
