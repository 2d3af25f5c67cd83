"""Emergency plans (应急预案): the YAML format and its loader, beside the checklists.

A plan names what sets it off (``trigger``: a power failure, the core switch down,
ransomware), the roles that act in it, and the ordered steps: each done by one role, with
the people or units to notify. Site files list their plans under ``emergency.plans:``
(paths beside site.yaml); a site that lists none uses the shipped templates
(``data.plan_templates``). ``emergency.drills:`` is the year's drill plan (年度演练计划):
which plan is to be drilled by which month; each entry must name a known plan.

Problems are reported as ``file:line: key.path: message`` like every site file's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError

from data.models import Ident, Site, Strict
from data.plan_templates import TEMPLATE_FILES, template_path
from data.yaml_source import ConfigIssue, MarkedDoc, SiteConfigError, mapping_items, read_yaml

TriggerKind = Literal["power", "network", "security", "environment", "hardware", "application"]


class PlanRole(Strict):
    """Who acts in the plan, e.g. 现场处置组 (on-site team), 带班领导 (leader on duty)."""

    id: Ident
    name: str = Field(min_length=1)
    duty: str | None = None


class PlanStep(Strict):
    id: Ident
    text: str = Field(min_length=1)
    role: Ident  # one of the plan's roles: who does it
    notify: list[str] = []  # people or units told at this step, e.g. 分管领导, 供电公司
    guidance: str | None = None


class EmergencyPlan(Strict):
    id: Ident
    name: str = Field(min_length=1)  # shown in Chinese, e.g. 机房停电应急预案
    name_en: str | None = None
    trigger_kind: TriggerKind
    trigger: str = Field(min_length=1)  # what sets the plan off, in words
    roles: list[PlanRole] = Field(min_length=1)
    steps: list[PlanStep] = Field(min_length=1)

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this plan was loaded from (None when built in code)."""
        return self._source

    def role(self, role_id: str) -> PlanRole:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)

    def step(self, step_id: str) -> PlanStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def load_plan(path: str | Path) -> EmergencyPlan:
    """Load one plan; any problem raises ``SiteConfigError`` with every issue in it."""
    plan, _, issues = read_plan(Path(path), str(path))
    if plan is None or any(i.severity == "error" for i in issues):
        raise SiteConfigError(issues)
    return plan


def read_plan(
    path: Path, display: str
) -> tuple[EmergencyPlan | None, MarkedDoc | None, list[ConfigIssue]]:
    """Load a plan and collect its problems (each at its file:line) instead of raising."""
    doc, issues = read_yaml(path, display, env=None)
    if doc is None:
        return None, None, issues
    plan = None
    try:
        plan = EmergencyPlan.model_validate(doc.data)
    except ValidationError as e:
        issues += doc.validation_issues(e)
    issues += _duplicate_ids(doc, "roles") + _duplicate_ids(doc, "steps") + _unknown_roles(doc)
    if plan is None or any(i.severity == "error" for i in issues):
        return None, doc, issues
    plan._source = path.resolve()
    return plan, doc, issues


def site_plans(site: Site) -> list[EmergencyPlan]:
    """The site's plans: those ``emergency.plans`` lists, else the shipped templates."""
    if site.emergency.plans:
        return [load_plan(path) for path in site.emergency.plans]
    return shipped_plans()


def shipped_plans() -> list[EmergencyPlan]:
    """Every shipped plan, loaded and validated (in ``TEMPLATE_FILES`` order)."""
    return [load_plan(template_path(name)) for name in TEMPLATE_FILES]


def check_emergency(doc: MarkedDoc) -> list[ConfigIssue]:
    """Load the plans site.yaml lists (their problems at their own lines) and check that
    each entry of the year's drill plan names one of them (or a shipped one)."""
    issues: list[ConfigIssue] = []
    emergency = doc.data.get("emergency")
    if not isinstance(emergency, dict):
        return issues
    known: dict[str, str] = {}
    entries = emergency.get("plans")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, str):
            continue  # the model reports it
        _, plan_doc, found = read_plan(Path(entry), entry)
        if plan_doc is None and found and found[0].line == 0:
            message = f"plan {entry}: {found[0].message}"
            issues.append(doc.issue(("emergency", "plans", index), message))
            continue
        issues += found
        plan_id = plan_doc.data.get("id") if plan_doc else None
        if isinstance(plan_id, str) and plan_doc is not None:
            if plan_id in known:
                message = f"plan id {plan_id!r} is also used by {known[plan_id]}"
                issues.append(plan_doc.issue(("id",), message))
            known.setdefault(plan_id, entry)
    if not isinstance(entries, list) or not entries:
        known = {plan.id: "" for plan in shipped_plans()}
    for index, drill in mapping_items(emergency.get("drills")):
        plan_id = drill.get("plan")
        if isinstance(plan_id, str) and plan_id not in known:
            names = ", ".join(sorted(known)) or "none"
            message = f"unknown plan {plan_id!r} (the site's plans: {names})"
            issues.append(doc.issue(("emergency", "drills", index, "plan"), message))
    return issues


def _raw(doc: MarkedDoc, key: str) -> Iterator[tuple[int, dict[object, object]]]:
    yield from mapping_items(doc.data.get(key))


def _duplicate_ids(doc: MarkedDoc, key: str) -> list[ConfigIssue]:
    first: dict[str, int] = {}
    issues = []
    for index, item in _raw(doc, key):
        item_id = item.get("id")
        if not isinstance(item_id, str):
            continue
        if item_id in first:
            message = f"duplicate id {item_id!r} (first at line {first[item_id]})"
            issues.append(doc.issue((key, index, "id"), message))
        else:
            first[item_id] = doc.line_of((key, index))
    return issues


def _unknown_roles(doc: MarkedDoc) -> list[ConfigIssue]:
    roles = {item.get("id") for _, item in _raw(doc, "roles")}
    issues = []
    for index, step in _raw(doc, "steps"):
        role = step.get("role")
        if isinstance(role, str) and role not in roles:
            known = ", ".join(sorted(r for r in roles if isinstance(r, str))) or "none"
            message = f"unknown role {role!r} (the plan's roles: {known})"
            issues.append(doc.issue(("steps", index, "role"), message))
    return issues


def plan_by_id(plans: Sequence[EmergencyPlan], plan_id: str) -> EmergencyPlan:
    for plan in plans:
        if plan.id == plan_id:
            return plan
    raise KeyError(plan_id)
