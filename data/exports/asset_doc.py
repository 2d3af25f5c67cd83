"""The asset register (data.records.assets) as a printable Document: every device's asset
data, the maintenance contracts, and the devices whose support ends in the period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from data.exports.document import Document, Section, Table
from data.i18n import t
from data.records.assets.model import AssetRecord, Contract

ASSET_COLUMNS = (
    "asset_number",
    "device",
    "model",
    "serial",
    "place",
    "owner_unit",
    "purchased_on",
    "vendor",
    "contract_number",
    "support_level",
    "warranty_end",
)
CONTRACT_COLUMNS = ("number", "vendor", "hotline", "support_level", "starts_on", "ends_on")


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def asset_row(asset: AssetRecord) -> list[str]:
    return [
        asset.asset_number or t("export.assets.unregistered"),
        f"{asset.device_name} ({asset.device_id})",
        asset.model,
        asset.serial,
        asset.place,
        asset.owner_unit,
        _day(asset.purchased_on),
        asset.vendor,
        asset.contract_number or "",
        asset.effective_support_level,
        _day(asset.covered_until),
    ]


def contract_row(contract: Contract) -> list[str]:
    return [
        contract.number,
        contract.vendor,
        contract.hotline,
        contract.support_level,
        _day(contract.starts_on),
        _day(contract.ends_on),
    ]


def ending_in(assets: Sequence[AssetRecord], start: date, end: date) -> list[AssetRecord]:
    """The devices whose support (warranty, else contract) ends between ``start`` and
    ``end``, both included, the soonest first."""
    found = [a for a in assets if a.covered_until and start <= a.covered_until <= end]
    return sorted(found, key=lambda a: (a.covered_until, a.device_id))


def asset_register_document(
    assets: Sequence[AssetRecord],
    contracts: Sequence[Contract],
    site_name: str,
    period: tuple[date, date],
) -> Document:
    start, end = period
    ending = ending_in(assets, start, end)
    return Document(
        t("export.title.assets"),
        site_name,
        [(t("export.report.period"), f"{start} — {end}")],
        [
            Section(
                t("export.assets.register"),
                [],
                Table(
                    [t(f"export.assets.{c}") for c in ASSET_COLUMNS],
                    [asset_row(a) for a in assets],
                ),
            ),
            Section(
                t("export.assets.contracts"),
                [] if contracts else [t("export.none")],
                Table(
                    [t(f"export.assets.contract.{c}") for c in CONTRACT_COLUMNS],
                    [contract_row(c) for c in contracts],
                )
                if contracts
                else None,
            ),
            Section(
                t("export.assets.ending"),
                [] if ending else [t("export.none")],
                Table(
                    [t(f"export.assets.{c}") for c in ASSET_COLUMNS],
                    [asset_row(a) for a in ending],
                )
                if ending
                else None,
            ),
        ],
    )
