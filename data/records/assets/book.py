"""The asset register (设备资产): every device's asset data and the maintenance contracts
it references.

Rules kept here, whatever the screen:
- Everyone who sees the console reads the register (Permission.VIEW_STATUS); only the
  supervisor and the admin change it (Permission.MANAGE_ASSETS). A refusal is audited.
- Every change writes one audit row in the same transaction: the object (``asset:<device>``
  or ``contract:<number>``), whether it was new, and the names of the fields changed.
- A device with no row yet reads as what site.yaml says of it (location, vendor, model,
  serial, warranty), unsaved: the form starts from it, so the site file seeds the register.
- Asset numbers are unique; an asset may only name a contract that exists, and a contract
  still named by an asset cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from data.audit import AuditTrail
from data.clock import Clock, to_db, utc_now
from data.models import Device, Site
from data.records.assets.model import (
    ASSET_FIELDS,
    CONTRACT_FIELDS,
    WARRANTY_WARNING_DAYS,
    AssetError,
    AssetInput,
    AssetRecord,
    Contract,
    ContractInput,
    VendorContact,
    validated,
)
from data.records.assets.reader import (
    ASSET_COLUMNS,
    CONTRACT_COLUMNS,
    contract_from_row,
    ending_within,
    read_assets,
    read_contracts,
    record_from_row,
)
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store


class AssetRegister:
    def __init__(self, store: Store, audit: AuditTrail, site: Site, clock: Clock = utc_now) -> None:
        self._store = store
        self._audit = audit
        self._site = site
        self._clock = clock

    def today(self) -> date:
        return self._clock().astimezone(self._site.site.tz).date()

    # Contracts.

    async def contracts(self, actor: Actor) -> list[Contract]:
        await self._require(actor, Permission.VIEW_STATUS, "asset.read", "contract:*")
        return await self._contracts()

    async def save_contract(self, actor: Actor, values: Mapping[str, Any]) -> Contract:
        """Add a contract, or change the one with that number."""
        number = str(values.get("number", "")).strip() or "new"
        await self._require(
            actor, Permission.MANAGE_ASSETS, "asset.contract.save", f"contract:{number}"
        )
        entered = validated(ContractInput, values)
        row = entered.model_dump()
        async with self._store.transaction():
            before = await self._contract_row(entered.number)
            await self._store.write(
                "INSERT INTO maintenance_contracts (number, vendor, hotline, support_level,"
                " starts_on, ends_on, note, updated_at, updated_by)"
                " VALUES (:number, :vendor, :hotline, :support_level, :starts_on, :ends_on,"
                " :note, :updated_at, :updated_by)"
                " ON CONFLICT (number) DO UPDATE SET vendor = :vendor, hotline = :hotline,"
                " support_level = :support_level, starts_on = :starts_on, ends_on = :ends_on,"
                " note = :note, updated_at = :updated_at, updated_by = :updated_by",
                {**_db_values(row), "updated_at": to_db(self._clock()), "updated_by": actor.name},
            )
            detail = _change_detail(before, row, CONTRACT_FIELDS)
            obj = f"contract:{entered.number}"
            await self._audit.record(actor.name, "asset.contract.save", obj, detail=detail)
            saved = await self._contract_row(entered.number)
        assert saved is not None
        return contract_from_row(saved)

    async def delete_contract(self, actor: Actor, number: str) -> None:
        obj = f"contract:{number}"
        await self._require(actor, Permission.MANAGE_ASSETS, "asset.contract.delete", obj)
        async with self._store.transaction():
            if await self._contract_row(number) is None:
                raise AssetError(
                    "there is no such contract",
                    code="asset_no_such_contract",
                    field="number",
                    number=number,
                )
            users = await self._store.fetchall(
                "SELECT device_id FROM assets WHERE contract_number = ? ORDER BY device_id",
                (number,),
            )
            if users:
                devices = ", ".join(str(row[0]) for row in users)
                raise AssetError(
                    f"assets still name contract {number}: {devices}",
                    code="asset_contract_in_use",
                    field="number",
                    number=number,
                    devices=devices,
                )
            await self._store.write("DELETE FROM maintenance_contracts WHERE number = ?", (number,))
            await self._audit.record(actor.name, "asset.contract.delete", obj)

    # Assets.

    async def assets(self, actor: Actor) -> list[AssetRecord]:
        """Every device of the site in site.yaml order, as stored or as site.yaml says."""
        await self._require(actor, Permission.VIEW_STATUS, "asset.read", "asset:*")
        return await self._assets()

    async def asset(self, actor: Actor, device_id: str) -> AssetRecord:
        obj = f"asset:{device_id}"
        await self._require(actor, Permission.VIEW_STATUS, "asset.read", obj)
        return await self._asset(self._device(device_id))

    async def save_asset(
        self, actor: Actor, device_id: str, values: Mapping[str, Any]
    ) -> AssetRecord:
        """Store the device's asset data (all of it, as the form sends it)."""
        obj = f"asset:{device_id}"
        await self._require(actor, Permission.MANAGE_ASSETS, "asset.save", obj)
        device = self._device(device_id)
        entered = validated(AssetInput, values)
        row = entered.model_dump()
        async with self._store.transaction():
            await self._refuse_conflicts(device_id, entered)
            before = await self._store.fetchone(
                f"SELECT {ASSET_COLUMNS} FROM assets WHERE device_id = ?", (device_id,)
            )
            names = ", ".join(f":{name}" for name in ASSET_FIELDS)
            updates = ", ".join(f"{name} = :{name}" for name in ASSET_FIELDS)
            await self._store.write(
                f"INSERT INTO assets (device_id, {', '.join(ASSET_FIELDS)}, updated_at,"
                f" updated_by) VALUES (:device_id, {names}, :updated_at, :updated_by)"
                f" ON CONFLICT (device_id) DO UPDATE SET {updates},"
                " updated_at = :updated_at, updated_by = :updated_by",
                {
                    **_db_values(row),
                    "device_id": device_id,
                    "updated_at": to_db(self._clock()),
                    "updated_by": actor.name,
                },
            )
            detail = _change_detail(before, row, ASSET_FIELDS)
            detail["asset_number"] = entered.asset_number
            await self._audit.record(actor.name, "asset.save", obj, detail=detail)
            return await self._asset(device)

    # What other parts of the console read without an actor: figures, not records.

    async def expiring(
        self, today: date | None = None, days: int = WARRANTY_WARNING_DAYS
    ) -> list[AssetRecord]:
        """Devices whose support (warranty, else contract) ends within ``days`` of
        ``today`` (the site's today by default), the soonest first: the wall's flag and
        the report read it."""
        return await ending_within(self._store, self._site, today or self.today(), days)

    async def vendor_contact(self, device_id: str | None) -> VendorContact | None:
        """Whom to escalate a fault on ``device_id`` to: the asset's vendor, its contract's
        hotline and support level (site.yaml's hotline when there is no contract); None for
        no device or an unknown one."""
        device = next((d for d in self._site.devices if d.id == device_id), None)
        if device is None:
            return None
        asset = await self._asset(device)
        vendor = asset.vendor or (asset.contract.vendor if asset.contract else "")
        hotline = asset.hotline or (device.asset.support or "")
        return VendorContact(vendor, hotline, asset.effective_support_level, asset.contract_number)

    # Parts.

    async def _require(self, actor: Actor, permission: Permission, action: str, obj: str) -> None:
        await require_audited(self._audit, actor, [permission], action, [obj])

    def _device(self, device_id: str) -> Device:
        for device in self._site.devices:
            if device.id == device_id:
                return device
        raise AssetError(
            f"there is no device {device_id} in site.yaml",
            code="asset_no_such_device",
            device=device_id,
        )

    async def _refuse_conflicts(self, device_id: str, entered: AssetInput) -> None:
        taken = await self._store.fetchone(
            "SELECT device_id FROM assets WHERE asset_number = ? AND device_id != ?",
            (entered.asset_number, device_id),
        )
        if taken is not None:
            raise AssetError(
                f"asset number {entered.asset_number} is already {taken[0]}'s",
                code="asset_number_taken",
                field="asset_number",
                number=entered.asset_number,
                device=str(taken[0]),
            )
        number = entered.contract_number
        if number is not None and await self._contract_row(number) is None:
            raise AssetError(
                f"there is no contract {number}",
                code="asset_no_such_contract",
                field="contract_number",
                number=number,
            )

    async def _contracts(self) -> list[Contract]:
        return await read_contracts(self._store)

    async def _contract_row(self, number: str) -> Any:
        return await self._store.fetchone(
            f"SELECT {CONTRACT_COLUMNS} FROM maintenance_contracts WHERE number = ?", (number,)
        )

    async def _assets(self) -> list[AssetRecord]:
        return await read_assets(self._store, self._site.devices)

    async def _asset(self, device: Device) -> AssetRecord:
        row = await self._store.fetchone(
            f"SELECT {ASSET_COLUMNS} FROM assets WHERE device_id = ?", (device.id,)
        )
        contracts: dict[str, Contract] = {}
        if row is not None and row["contract_number"]:
            found = await self._contract_row(row["contract_number"])
            if found is not None:
                contracts[found["number"]] = contract_from_row(found)
        return record_from_row(device, row, contracts)


def _db_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _change_detail(
    before: Any, after: Mapping[str, Any], fields: tuple[str, ...]
) -> dict[str, Any]:
    """``created``, and the names of the fields that changed (not their values: the
    record keeps those, the trail says who changed what when)."""
    if before is None:
        return {"created": True}
    new = _db_values(after)
    changed = [name for name in fields if before[name] != new[name]]
    return {"created": False, "changed": changed}
