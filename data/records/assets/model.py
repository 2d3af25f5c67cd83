"""What data.records.assets takes and returns: the asset and contract inputs (validated by
pydantic, refusals as AssetError with the field they concern), the records as read, and
what a vendor escalation needs of them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from data.errors import DutyDeskError

MAX_TEXT = 200  # characters in any one field
WARRANTY_WARNING_DAYS = 60  # a warranty ending this soon is flagged (wall, report)
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")  # asset and contract numbers
_HOTLINE = re.compile(r"[0-9+][0-9 ()+-]{2,29}")

ASSET_FIELDS = (
    "asset_number",
    "model",
    "serial",
    "room",
    "rack",
    "u",
    "owner_unit",
    "purchased_on",
    "vendor",
    "contract_number",
    "support_level",
    "warranty_end",
)
CONTRACT_FIELDS = ("number", "vendor", "hotline", "support_level", "starts_on", "ends_on", "note")


class AssetError(DutyDeskError):
    """Codes: asset_required, asset_text_too_long, asset_bad_number, asset_bad_hotline,
    asset_bad_date, asset_bad_u, asset_date_order, asset_invalid, asset_no_such_device,
    asset_no_such_contract, asset_number_taken, asset_contract_in_use. ``field`` names the
    form field a refusal concerns."""

    code = "asset_error"


class AssetRefused(AssetError):
    """Several fields refused at once: ``problems`` in form order; code and params are
    the first problem's (the form shows each under its field)."""

    def __init__(self, problems: Sequence[AssetError]) -> None:
        first = problems[0]
        super().__init__(
            "; ".join(str(problem) for problem in problems), code=first.code, **first.params
        )
        self.problems = tuple(problems)


def _blank_to_none(value: Any) -> Any:
    """A form sends '' for a field left empty: for an optional date or number, unset."""
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def _stripped(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_stripped), Field(max_length=MAX_TEXT)]
Required = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=MAX_TEXT)]
OptionalDate = Annotated[date | None, BeforeValidator(_blank_to_none)]


def _number(value: str) -> str:
    if not _NUMBER.fullmatch(value):
        raise PydanticCustomError("asset_bad_number", "letters, digits and . _ / - only")
    return value


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=_Input)


class ContractInput(_Input):
    """A maintenance contract as a supervisor enters it."""

    number: Required
    vendor: Required
    hotline: Text = ""
    support_level: Text = ""
    starts_on: date
    ends_on: date
    note: Text = ""

    @field_validator("number")
    @classmethod
    def _valid_number(cls, value: str) -> str:
        return _number(value)

    @field_validator("hotline")
    @classmethod
    def _hotline(cls, value: str) -> str:
        if value and not _HOTLINE.fullmatch(value):
            raise PydanticCustomError("asset_bad_hotline", "digits, spaces, + ( ) - only")
        return value

    @model_validator(mode="after")
    def _term(self) -> ContractInput:
        if self.ends_on < self.starts_on:
            raise PydanticCustomError("asset_date_order", "the end is before the start")
        return self


class AssetInput(_Input):
    """A device's asset data as a supervisor enters it (strings from a form are parsed)."""

    asset_number: Required
    model: Text = ""
    serial: Text = ""
    room: Text = ""
    rack: Text = ""
    u: Annotated[Annotated[int, Field(ge=1, le=60)] | None, BeforeValidator(_blank_to_none)] = None
    owner_unit: Text = ""
    purchased_on: OptionalDate = None
    vendor: Text = ""
    contract_number: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    support_level: Text = ""
    warranty_end: OptionalDate = None

    @field_validator("asset_number")
    @classmethod
    def _valid_number(cls, value: str) -> str:
        return _number(value)

    @model_validator(mode="after")
    def _dates(self) -> AssetInput:
        if self.purchased_on and self.warranty_end and self.warranty_end < self.purchased_on:
            raise PydanticCustomError("asset_date_order", "the warranty ends before the purchase")
        return self


# pydantic's error types, as the codes the catalogs explain
_CODES = {
    "missing": "asset_required",
    "string_too_short": "asset_required",
    "too_short": "asset_required",
    "string_too_long": "asset_text_too_long",
    "too_long": "asset_text_too_long",
    "date_parsing": "asset_bad_date",
    "date_from_datetime_parsing": "asset_bad_date",
    "date_from_datetime_inexact": "asset_bad_date",
    "date_type": "asset_bad_date",
    "int_parsing": "asset_bad_u",
    "int_type": "asset_bad_u",
    "int_from_float": "asset_bad_u",
    "greater_than_equal": "asset_bad_u",
    "less_than_equal": "asset_bad_u",
}
# a whole-form rule's refusal is shown under the field that ends the range
_RANGE_FIELD = {ContractInput: "ends_on", AssetInput: "warranty_end"}


def validated(model: type[M], values: Mapping[str, Any]) -> M:
    """``values`` as ``model``; every refusal at once as AssetError (AssetRefused for more
    than one), each with the ``field`` it concerns and a stable code."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as invalid:
        problems = [_problem(model, error) for error in invalid.errors()]
        raise (problems[0] if len(problems) == 1 else AssetRefused(problems)) from None


def _problem(model: type[_Input], error: Any) -> AssetError:
    kind = str(error["type"])
    field = str(error["loc"][0]) if error["loc"] else _RANGE_FIELD[model]
    if kind.startswith("asset_"):
        code = kind
    elif error.get("input") in ("", None):  # a required field left empty, whatever its type
        code = "asset_required"
    else:
        code = _CODES.get(kind, "asset_invalid")
    params: dict[str, object] = {"field": field}
    if code == "asset_text_too_long":
        params["max_length"] = MAX_TEXT
    return AssetError(f"{field}: {error['msg']}", code=code, **params)


@dataclass(frozen=True)
class Contract:
    number: str
    vendor: str
    hotline: str
    support_level: str
    starts_on: date
    ends_on: date
    note: str
    updated_by: str

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class AssetRecord:
    """One device's asset data. ``stored`` is False while it is only what site.yaml says
    (no asset number yet): a supervisor saving it makes it the register's."""

    device_id: str
    device_name: str
    asset_number: str
    model: str
    serial: str
    room: str
    rack: str
    u: int | None
    owner_unit: str
    purchased_on: date | None
    vendor: str
    contract_number: str | None
    support_level: str
    warranty_end: date | None
    stored: bool
    contract: Contract | None = None
    updated_by: str | None = None

    @property
    def covered_until(self) -> date | None:
        """When support ends: the warranty's end, else the contract's."""
        if self.warranty_end is not None:
            return self.warranty_end
        return self.contract.ends_on if self.contract else None

    @property
    def effective_support_level(self) -> str:
        return self.support_level or (self.contract.support_level if self.contract else "")

    @property
    def hotline(self) -> str:
        return self.contract.hotline if self.contract else ""

    @property
    def place(self) -> str:
        """``A01 U12`` (or what is known of it): where a label says to find it."""
        u = f"U{self.u}" if self.u is not None else ""
        return " ".join(part for part in (self.room, self.rack, u) if part)

    def ends_within(self, today: date, days: int = WARRANTY_WARNING_DAYS) -> bool:
        """Support ends between today and ``days`` from now, both included."""
        end = self.covered_until
        return end is not None and today <= end <= today + timedelta(days=days)

    def form_values(self) -> dict[str, str]:
        """As the edit form shows it: every field as text."""
        return {
            name: "" if (value := getattr(self, name)) is None else str(value)
            for name in ASSET_FIELDS
        }


@dataclass(frozen=True)
class VendorContact:
    """Whom a fault on a device is escalated to: the vendor, the contract's hotline and
    support level (what the incident's escalation dialog offers)."""

    vendor: str
    hotline: str
    support_level: str
    contract_number: str | None

    @property
    def contact(self) -> str:
        """The escalation's contact line: ``400-822-9999（7x24 4小时到场）``."""
        if self.hotline and self.support_level:
            return f"{self.hotline}（{self.support_level}）"
        return self.hotline or self.support_level
