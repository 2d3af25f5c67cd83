"""Load site.yaml into a validated ``Site``, or refuse it with every problem listed.

The steps, in order: read the YAML keeping lines (duplicate keys are errors) and
substitute ``${ENV_VAR}`` in text values; resolve relative paths against the site file's
folder; validate the models; run the whole-file rules; load every ``inspections:``
checklist and check its live ``source`` items against the devices. Problems from all the
steps are collected and raised together as one ``SiteConfigError`` whose lines read
``file:line: key.path: message``. Warnings (e.g. hours no shift covers) do not stop a
load; they come back on ``LoadedSite.warnings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from data.checklists import Checklist, read_checklist
from data.device_templates import load_site_templates
from data.emergency_plans import check_emergency
from data.masking import remember
from data.models import Site
from data.site_rules import check_site, known_checks
from data.yaml_source import ConfigIssue, MarkedDoc, SiteConfigError, mapping_items, read_yaml

__all__ = [
    "ConfigIssue",
    "LoadedSite",
    "SiteConfigError",
    "load_site",
    "load_site_config",
    "site_template",
]


@dataclass(frozen=True)
class LoadedSite:
    """A site with its inspection templates (in ``inspections:`` order) and warnings."""

    site: Site
    checklists: tuple[Checklist, ...]
    warnings: tuple[ConfigIssue, ...]

    def checklist(self, checklist_id: str) -> Checklist:
        for c in self.checklists:
            if c.id == checklist_id:
                return c
        raise KeyError(checklist_id)


def load_site(path: str | Path, env: Mapping[str, str] | None = None) -> Site:
    """The validated site in ``path``; raises ``SiteConfigError`` listing every problem."""
    return load_site_config(path, env).site


def load_site_config(path: str | Path, env: Mapping[str, str] | None = None) -> LoadedSite:
    """Load ``path`` and its checklists. ``env`` (default ``os.environ``) fills ``${NAME}``."""
    given = Path(path)
    doc, issues = read_yaml(given, str(given), os.environ if env is None else env)
    if doc is None:
        raise SiteConfigError(issues)
    remember(doc.secrets)  # from here on masked in logs and check results
    _resolve_paths(doc.data, given.resolve().parent)
    site = None
    try:
        site = Site.model_validate(doc.data)
    except ValidationError as e:
        issues += doc.validation_issues(e)
    issues += check_site(doc)
    checklists = _load_inspections(doc, issues)
    issues += check_emergency(doc)
    # device templates of the site's own: templates/ beside site.yaml
    templates, template_issues = load_site_templates(
        doc, given.resolve().parent / "templates", str(given.parent / "templates")
    )
    issues += template_issues
    if site is None or any(i.severity == "error" for i in issues):
        raise SiteConfigError(issues)
    site._source = given.resolve()
    site._templates = templates
    warnings = tuple(sorted(i for i in issues if i.severity == "warning"))
    return LoadedSite(site, tuple(checklists), warnings)


def site_template() -> str:
    """The commented site.yaml that ``dutydesk init`` writes (it loads as it is)."""
    return resources.files("data").joinpath("site_template.yaml").read_text(encoding="utf-8")


def _resolve_paths(data: dict[Any, Any], base: Path) -> None:
    """Make file paths absolute: ``~`` expanded, relative ones against the site's folder."""
    credentials = data.get("credentials")
    for credential in credentials.values() if isinstance(credentials, dict) else ():
        ssh = credential.get("ssh") if isinstance(credential, dict) else None
        if not isinstance(ssh, dict):
            continue
        if isinstance(ssh.get("client_keys"), list):
            ssh["client_keys"] = [_path(key, base) for key in ssh["client_keys"]]
        if "known_hosts" in ssh:
            ssh["known_hosts"] = _path(ssh["known_hosts"], base)
    for _, device in mapping_items(data.get("devices")):
        for _, check in mapping_items(device.get("checks")):
            if "ca_file" in check:
                check["ca_file"] = _path(check["ca_file"], base)
    if isinstance(data.get("inspections"), list):
        data["inspections"] = [_path(entry, base) for entry in data["inspections"]]
    emergency = data.get("emergency")
    if isinstance(emergency, dict) and isinstance(emergency.get("plans"), list):
        emergency["plans"] = [_path(entry, base) for entry in emergency["plans"]]
    site = data.get("site")
    if isinstance(site, dict) and "pdf_font" in site:
        site["pdf_font"] = _path(site["pdf_font"], base)


def _path(value: Any, base: Path) -> Any:
    if not isinstance(value, str) or not value:
        return value  # not a path: the model reports it
    path = Path(os.path.expanduser(value))
    return str(path if path.is_absolute() else base / path)


def _load_inspections(doc: MarkedDoc, issues: list[ConfigIssue]) -> list[Checklist]:
    """Load each listed checklist, adding its problems (at its own file:line) to ``issues``."""
    devices = known_checks(doc.data)
    loaded: list[Checklist] = []
    first_file: dict[str, str] = {}
    entries = doc.data.get("inspections")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, str):
            continue  # the model reports it
        checklist, checklist_doc, found = read_checklist(Path(entry), entry, devices)
        if checklist_doc is None and found and found[0].line == 0:
            # unreadable or missing: say so where site.yaml names it
            issues.append(
                doc.issue(("inspections", index), f"checklist {entry}: {found[0].message}")
            )
            continue
        issues += found
        checklist_id = checklist_doc.data.get("id") if checklist_doc else None
        if isinstance(checklist_id, str) and checklist_doc is not None:
            if checklist_id in first_file:
                message = (
                    f"checklist id {checklist_id!r} is also used by {first_file[checklist_id]}"
                )
                issues.append(checklist_doc.issue(("id",), message))
            first_file.setdefault(checklist_id, entry)
        if checklist is not None:
            loaded.append(checklist)
    return loaded
