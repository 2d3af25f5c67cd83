"""Inspection checklist templates (巡检记录表): the YAML format and its loader.

A template is a list of sections, each a list of items the inspector answers: pass/fail,
a reading with a unit and an allowed range, one of a few choices, or free text. An item
with a ``source`` names a live check whose latest value pre-fills the answer. Site files
list their templates under ``inspections:``; ``data.config`` loads them with the site so
that a ``source`` naming an unknown device or check is an error at the template's line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from data.models import Ident, Strict
from data.thresholds import Threshold
from data.yaml_source import (
    ConfigIssue,
    MarkedDoc,
    SiteConfigError,
    mapping_items,
    read_yaml,
)

ItemKind = Literal["passfail", "reading", "choice", "text"]
# pre_assurance: due the day before each assurance period (site.calendar.assurance)
Schedule = Literal["daily", "weekly", "monthly", "pre_assurance"]


class ItemSource(Strict):
    """The live check whose latest result pre-fills an item."""

    device: str
    check: str


class ChecklistItem(Strict):
    id: Ident
    text: str = Field(min_length=1)
    kind: ItemKind = "passfail"
    unit: str | None = None
    range: Threshold | None = None  # allowed values of a reading; outside it is flagged
    choices: list[str] = Field(default_factory=list)
    required: bool = True
    guidance: str | None = None  # how to check it, shown next to the item
    source: ItemSource | None = None

    @field_validator("range", mode="before")
    @classmethod
    def _threshold(cls, v: object) -> object:
        if isinstance(v, str):
            return Threshold.parse(v)
        if v is not None and not isinstance(v, Threshold):
            raise ValueError("a range is text like '18..27' or '<= 60'")
        return v

    @model_validator(mode="after")
    def _fits_kind(self) -> ChecklistItem:
        if self.kind != "reading" and (self.unit is not None or self.range is not None):
            raise ValueError("unit and range belong to kind: reading")
        if self.kind == "choice":
            if len(self.choices) < 2 or len(set(self.choices)) != len(self.choices):
                raise ValueError("kind: choice needs at least two different choices")
        elif self.choices:
            raise ValueError("choices belong to kind: choice")
        if self.source is not None and self.kind not in ("passfail", "reading"):
            raise ValueError("only passfail and reading items can be pre-filled from a source")
        return self


class ChecklistSection(Strict):
    title: str = Field(min_length=1)
    items: list[ChecklistItem] = Field(min_length=1)


class Checklist(Strict):
    id: Ident
    name: str = Field(min_length=1)  # shown in Chinese, e.g. 机房日常巡检
    name_en: str | None = None
    schedule: Schedule
    sections: list[ChecklistSection] = Field(min_length=1)

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The template file this was loaded from (None when built in code)."""
        return self._source

    def items(self) -> Iterator[ChecklistItem]:
        for section in self.sections:
            yield from section.items

    def item(self, item_id: str) -> ChecklistItem:
        for it in self.items():
            if it.id == item_id:
                return it
        raise KeyError(item_id)


def load_checklist(path: str | Path) -> Checklist:
    """Load one template; any problem raises ``SiteConfigError`` with every issue in it."""
    checklist, _, issues = read_checklist(Path(path), str(path))
    if checklist is None or any(i.severity == "error" for i in issues):
        raise SiteConfigError(issues)
    return checklist


def read_checklist(
    path: Path, display: str, known_checks: Mapping[str, set[str]] | None = None
) -> tuple[Checklist | None, MarkedDoc | None, list[ConfigIssue]]:
    """Load a template and collect its problems instead of raising.

    With ``known_checks`` (device id -> its check ids) each item ``source`` is checked
    against the site. Returns the checklist (None when invalid), the marked document (for
    further line-mapped checks by the caller) and the issues.
    """
    doc, issues = read_yaml(path, display, env=None)
    if doc is None:
        return None, None, issues
    checklist = None
    try:
        checklist = Checklist.model_validate(doc.data)
    except ValidationError as e:
        issues += doc.validation_issues(e)
    issues += _duplicate_items(doc)
    if known_checks is not None:
        issues += _unknown_sources(doc, known_checks)
    if checklist is None or any(i.severity == "error" for i in issues):
        return None, doc, issues
    checklist._source = path.resolve()
    return checklist, doc, issues


def _raw_items(doc: MarkedDoc) -> Iterator[tuple[tuple[object, ...], dict[object, object]]]:
    for s, section in mapping_items(doc.data.get("sections")):
        for i, item in mapping_items(section.get("items")):
            yield ("sections", s, "items", i), item


def _duplicate_items(doc: MarkedDoc) -> list[ConfigIssue]:
    first: dict[str, int] = {}
    issues = []
    for path, item in _raw_items(doc):
        item_id = item.get("id")
        if not isinstance(item_id, str):
            continue
        line = doc.line_of(path)
        if item_id in first:
            message = f"duplicate item id {item_id!r} (first at line {first[item_id]})"
            issues.append(doc.issue((*path, "id"), message))
        else:
            first[item_id] = line
    return issues


def _unknown_sources(doc: MarkedDoc, known_checks: Mapping[str, set[str]]) -> list[ConfigIssue]:
    issues = []
    for path, item in _raw_items(doc):
        source = item.get("source")
        if not isinstance(source, dict):
            continue
        device, check = source.get("device"), source.get("check")
        if not isinstance(device, str):
            continue
        if device not in known_checks:
            message = f"unknown device {device!r} (not in the site's devices)"
            issues.append(doc.issue((*path, "source", "device"), message))
        elif isinstance(check, str) and check not in known_checks[device]:
            message = f"device {device!r} has no check {check!r}"
            issues.append(doc.issue((*path, "source", "check"), message))
    return issues
