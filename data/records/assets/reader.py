"""Reading the asset register without an actor: what the book serves (after its
permission check), the header's and the monthly report's figures. A device with no row
reads as what site.yaml says of it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from data.models import Device, Site
from data.records.assets.model import (
    ASSET_FIELDS,
    WARRANTY_WARNING_DAYS,
    AssetRecord,
    Contract,
)
from data.store import Store

CONTRACT_COLUMNS = "number, vendor, hotline, support_level, starts_on, ends_on, note, updated_by"
ASSET_COLUMNS = ", ".join((*ASSET_FIELDS, "device_id", "updated_by"))


async def read_contracts(store: Store) -> list[Contract]:
    rows = await store.fetchall(
        f"SELECT {CONTRACT_COLUMNS} FROM maintenance_contracts ORDER BY ends_on, number"
    )
    return [contract_from_row(row) for row in rows]


async def read_assets(store: Store, devices: Iterable[Device]) -> list[AssetRecord]:
    """``devices`` in their order, each as stored or as site.yaml says."""
    rows = await store.fetchall(f"SELECT {ASSET_COLUMNS} FROM assets")
    stored = {str(row["device_id"]): row for row in rows}
    contracts = {contract.number: contract for contract in await read_contracts(store)}
    return [record_from_row(d, stored.get(d.id), contracts) for d in devices]


async def ending_within(
    store: Store,
    site: Site,
    today: date,
    days: int = WARRANTY_WARNING_DAYS,
    devices: Iterable[Device] | None = None,
) -> list[AssetRecord]:
    """The devices (all the site's by default) whose support (warranty, else contract) ends
    within ``days`` of ``today``, the soonest first."""
    chosen = site.devices if devices is None else devices
    found = [a for a in await read_assets(store, chosen) if a.ends_within(today, days)]
    return sorted(found, key=lambda asset: (asset.covered_until or today, asset.device_id))


def contract_from_row(row: Any) -> Contract:
    return Contract(
        number=row["number"],
        vendor=row["vendor"],
        hotline=row["hotline"],
        support_level=row["support_level"],
        starts_on=date.fromisoformat(row["starts_on"]),
        ends_on=date.fromisoformat(row["ends_on"]),
        note=row["note"],
        updated_by=row["updated_by"],
    )


def record_from_row(device: Device, row: Any, contracts: Mapping[str, Contract]) -> AssetRecord:
    if row is None:
        return site_draft(device)
    number = row["contract_number"]
    return AssetRecord(
        device_id=device.id,
        device_name=device.name,
        asset_number=row["asset_number"],
        model=row["model"],
        serial=row["serial"],
        room=row["room"],
        rack=row["rack"],
        u=row["u"],
        owner_unit=row["owner_unit"],
        purchased_on=_day(row["purchased_on"]),
        vendor=row["vendor"],
        contract_number=number,
        support_level=row["support_level"],
        warranty_end=_day(row["warranty_end"]),
        stored=True,
        contract=contracts.get(number) if number else None,
        updated_by=row["updated_by"],
    )


def site_draft(device: Device) -> AssetRecord:
    """What site.yaml says of the device: the register's first draft of it."""
    where, asset = device.location, device.asset
    return AssetRecord(
        device_id=device.id,
        device_name=device.name,
        asset_number="",
        model=asset.model or "",
        serial=asset.serial or "",
        room=where.room or "",
        rack=where.rack or where.row or "",
        u=where.u,
        owner_unit="",
        purchased_on=None,
        vendor=asset.vendor or "",
        contract_number=None,
        support_level="",
        warranty_end=asset.warranty_until,
        stored=False,
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
