"""The asset register's dialogs: a device's asset data and a maintenance contract, each a
FormDialog whose refusals (data.records.assets) land under the field they name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from console.dialogs.form import Choice, FormDialog
from data.errors import DutyDeskError
from data.i18n import t
from data.records.assets.model import ASSET_FIELDS, AssetRecord, Contract
from widgets.record_form import FormField, RecordForm

SaveAsset = Callable[[Mapping[str, str]], Awaitable[AssetRecord]]
SaveContract = Callable[[Mapping[str, str]], Awaitable[Contract]]


def field_named(refused: DutyDeskError) -> str:
    """The form field a refusal names (``field``); the whole form otherwise."""
    return str(refused.params.get("field", ""))


def _hints() -> dict[str, str]:
    date = t("assets.hint.date")
    return {
        "u": t("assets.hint.u"),
        "purchased_on": date,
        "support_level": t("assets.hint.support_level"),
        "warranty_end": t("assets.hint.warranty_end"),
        "starts_on": date,
        "ends_on": date,
    }


class AssetDialog(FormDialog[AssetRecord]):
    """Every field of a device's asset data; it starts as stored, or as site.yaml says."""

    def __init__(self, asset: AssetRecord, contracts: Sequence[Contract], save: SaveAsset) -> None:
        values = asset.form_values()
        hints = _hints()
        choices = tuple((f"{c.number} · {c.vendor}", c.number) for c in contracts)

        def field(name: str) -> FormField:
            label = t(f"assets.field.{name}")
            if name == "contract_number":
                return FormField(name, label, "choice", values[name], choices=choices)
            return FormField(
                name,
                label,
                value=values[name],
                placeholder=hints.get(name, ""),
                required=name == "asset_number",
            )

        async def run(form: RecordForm) -> AssetRecord:
            return await save(form.values())

        super().__init__(
            "asset-edit",
            t("assets.form.title", device=f"{asset.device_name} ({asset.device_id})"),
            [field(name) for name in ASSET_FIELDS],
            Choice(t("assets.form.save"), run),
            field_of=field_named,
        )


class ContractDialog(FormDialog[Contract]):
    """A maintenance contract: a new one (``contract`` None) or one to change."""

    FIELDS = ("number", "vendor", "hotline", "support_level", "starts_on", "ends_on", "note")

    def __init__(self, contract: Contract | None, save: SaveContract) -> None:
        values = _contract_values(contract)
        hints = _hints()

        async def run(form: RecordForm) -> Contract:
            return await save(form.values())

        fields = [
            FormField(
                name,
                t(f"assets.field.{name}"),
                value=values.get(name, ""),
                placeholder=hints.get(name, ""),
                required=name in ("number", "vendor", "starts_on", "ends_on"),
            )
            for name in self.FIELDS
        ]
        super().__init__(
            "asset-contract",
            t("assets.form.contract_title"),
            fields,
            Choice(t("assets.form.save"), run),
            field_of=field_named,
        )


def _contract_values(contract: Contract | None) -> dict[str, str]:
    if contract is None:
        return {}
    return {
        "number": contract.number,
        "vendor": contract.vendor,
        "hotline": contract.hotline,
        "support_level": contract.support_level,
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "note": contract.note,
    }
