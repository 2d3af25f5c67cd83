"""The asset register and maintenance contracts (data.records.assets): who may read and
change them, an audit row per change, validation with the field each refusal concerns,
site.yaml as the first draft, expiring warranties, the vendor an escalation calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from data.accounts import User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.models import Site
from data.records.assets.book import AssetRegister
from data.records.assets.model import AssetError, AssetRefused
from data.roles import PermissionDenied, Role
from data.store import Store

OPERATOR = User(2, "wang", "王伟", Role.OPERATOR)
SUPERVISOR = User(3, "li", "李娜", Role.SUPERVISOR)
ADMIN = User(1, "admin", "管理员", Role.ADMIN)
AUDITOR = User(4, "zhao", "赵敏", Role.AUDITOR)

CONTRACT = {
    "number": "HT-2026-001",
    "vendor": "华为",
    "hotline": "400-822-9999",
    "support_level": "7x24 4小时到场",
    "starts_on": "2026-01-01",
    "ends_on": "2026-04-15",  # 44 days after the test clock's day (2026-03-02)
}
ASSET = {
    "asset_number": "ZC-2026-0001",
    "model": "CloudEngine S12700E-8",
    "serial": "SN-0001",
    "room": "一号机房",
    "rack": "A01",
    "u": "20",
    "owner_unit": "大数据中心",
    "purchased_on": "2023-05-01",
    "vendor": "华为",
    "contract_number": "HT-2026-001",
    "support_level": "",
    "warranty_end": "",
}


def make_site() -> Site:
    return Site.model_validate(
        {
            "site": {
                "name": "测试机房",
                "shifts": [{"name": "白班", "start": "08:30", "end": "17:30"}],
            },
            "zones": [{"id": "core", "name": "核心区"}],
            "devices": [
                {
                    "id": "core-sw-1",
                    "name": "核心交换机",
                    "kind": "switch",
                    "zone": "core",
                    "host": "127.0.0.1",
                    "location": {"room": "一号机房", "row": "A", "rack": "A01", "u": 20},
                    "asset": {
                        "vendor": "华为",
                        "model": "S12700E",
                        "serial": "SITE-SN-1",
                        "warranty_until": "2027-12-31",
                        "support": "400-000-0000",
                    },
                },
                {
                    "id": "db-1",
                    "name": "数据库服务器",
                    "kind": "server",
                    "zone": "core",
                    "host": "h",
                },
            ],
        }
    )


@pytest.fixture
async def store(any_store: Any) -> Any:
    return any_store


@pytest.fixture
async def register(
    store: Store, audit: AuditTrail, clock: ManualClock
) -> AsyncIterator[AssetRegister]:
    yield AssetRegister(store, audit, make_site(), clock)
    verdict = await audit.verify()  # every test leaves a chain that still verifies
    assert verdict.ok, verdict.reason


async def test_a_device_not_yet_registered_reads_as_site_yaml_says(
    register: AssetRegister,
) -> None:
    draft = await register.asset(OPERATOR, "core-sw-1")
    assert not draft.stored and draft.asset_number == ""
    assert (draft.room, draft.rack, draft.u) == ("一号机房", "A01", 20)
    assert (draft.vendor, draft.model, draft.serial) == ("华为", "S12700E", "SITE-SN-1")
    assert draft.warranty_end == date(2027, 12, 31)
    assert [a.device_id for a in await register.assets(OPERATOR)] == ["core-sw-1", "db-1"]


async def test_supervisor_saves_contract_and_asset_each_change_audited(
    register: AssetRegister, audit: AuditTrail
) -> None:
    contract = await register.save_contract(SUPERVISOR, CONTRACT)
    assert contract.hotline == "400-822-9999" and contract.ends_on == date(2026, 4, 15)
    saved = await register.save_asset(SUPERVISOR, "core-sw-1", ASSET)
    assert saved.stored and saved.u == 20 and saved.contract == contract
    assert saved.effective_support_level == "7x24 4小时到场" and saved.place == "一号机房 A01 U20"
    changed = await register.save_asset(ADMIN, "core-sw-1", {**ASSET, "rack": "B02"})
    assert changed.rack == "B02" and changed.updated_by == "admin"
    blank = await register.save_asset(SUPERVISOR, "db-1", {"asset_number": "ZC-9", "u": ""})
    assert blank.u is None and blank.purchased_on is None  # fields left empty in the form

    rows = sorted(await audit.query(action="asset.save"), key=lambda e: e.id)
    assert [(r.user, r.object, r.outcome) for r in rows] == [
        ("li", "asset:core-sw-1", "ok"),
        ("admin", "asset:core-sw-1", "ok"),
        ("li", "asset:db-1", "ok"),
    ]
    assert rows[0].detail == {"created": True, "asset_number": "ZC-2026-0001"}
    assert rows[1].detail == {"created": False, "changed": ["rack"], "asset_number": "ZC-2026-0001"}
    (contract_row,) = await audit.query(action="asset.contract.save")
    assert contract_row.object == "contract:HT-2026-001" and contract_row.detail == {
        "created": True
    }


@pytest.mark.parametrize("actor", [OPERATOR, AUDITOR], ids=["operator", "auditor"])
async def test_only_supervisor_and_admin_change_the_register_refusals_audited(
    register: AssetRegister, audit: AuditTrail, actor: User
) -> None:
    with pytest.raises(PermissionDenied):
        await register.save_asset(actor, "core-sw-1", ASSET)
    with pytest.raises(PermissionDenied):
        await register.save_contract(actor, CONTRACT)
    refused = await audit.query(user=actor.name)
    assert {(r.action, r.outcome) for r in refused} == {
        ("asset.save", "denied"),
        ("asset.contract.save", "denied"),
    }
    assert await register._store.fetchone("SELECT 1 FROM assets") is None


async def test_everyone_on_the_watch_reads_the_auditor_does_not(register: AssetRegister) -> None:
    assert await register.contracts(OPERATOR) == []
    assert len(await register.assets(ADMIN)) == 2
    with pytest.raises(PermissionDenied):
        await register.assets(AUDITOR)


async def test_validation_names_every_bad_field(register: AssetRegister) -> None:
    bad = {**ASSET, "asset_number": "", "u": "61", "purchased_on": "2023-13-01"}
    with pytest.raises(AssetRefused) as refused:
        await register.save_asset(SUPERVISOR, "core-sw-1", bad)
    assert [(p.code, p.params["field"]) for p in refused.value.problems] == [
        ("asset_required", "asset_number"),
        ("asset_bad_u", "u"),
        ("asset_bad_date", "purchased_on"),
    ]
    with pytest.raises(AssetError) as order:
        await register.save_asset(
            SUPERVISOR,
            "core-sw-1",
            {**ASSET, "contract_number": "", "warranty_end": "2022-01-01"},
        )
    assert (order.value.code, order.value.params["field"]) == ("asset_date_order", "warranty_end")
    with pytest.raises(AssetError) as number:
        await register.save_asset(SUPERVISOR, "core-sw-1", {**ASSET, "asset_number": "ZC 1"})
    assert number.value.code == "asset_bad_number"
    with pytest.raises(AssetError) as hotline:
        await register.save_contract(SUPERVISOR, {**CONTRACT, "hotline": "call Li"})
    assert (hotline.value.code, hotline.value.params["field"]) == ("asset_bad_hotline", "hotline")
    with pytest.raises(AssetError) as term:
        await register.save_contract(SUPERVISOR, {**CONTRACT, "ends_on": "2025-12-31"})
    assert (term.value.code, term.value.params["field"]) == ("asset_date_order", "ends_on")


async def test_references_and_uniqueness_are_kept(register: AssetRegister) -> None:
    with pytest.raises(AssetError) as no_contract:
        await register.save_asset(SUPERVISOR, "core-sw-1", ASSET)
    assert (no_contract.value.code, no_contract.value.params["field"]) == (
        "asset_no_such_contract",
        "contract_number",
    )
    await register.save_contract(SUPERVISOR, CONTRACT)
    await register.save_asset(SUPERVISOR, "core-sw-1", ASSET)
    with pytest.raises(AssetError) as taken:
        await register.save_asset(SUPERVISOR, "db-1", {**ASSET, "contract_number": ""})
    assert taken.value.code == "asset_number_taken" and taken.value.params["device"] == "core-sw-1"
    with pytest.raises(AssetError) as in_use:
        await register.delete_contract(SUPERVISOR, "HT-2026-001")
    assert in_use.value.code == "asset_contract_in_use"
    with pytest.raises(AssetError) as unknown:
        await register.save_asset(SUPERVISOR, "nope", ASSET)
    assert unknown.value.code == "asset_no_such_device"


async def test_warranties_ending_within_60_days_are_flagged(register: AssetRegister) -> None:
    assert await register.expiring() == []  # site.yaml's warranty ends in 2027
    await register.save_contract(SUPERVISOR, CONTRACT)
    await register.save_asset(SUPERVISOR, "core-sw-1", ASSET)  # covered by the contract
    await register.save_asset(
        SUPERVISOR,
        "db-1",
        {**ASSET, "asset_number": "ZC-2", "contract_number": "", "warranty_end": "2026-06-30"},
    )
    assert [a.device_id for a in await register.expiring()] == ["core-sw-1"]
    assert [a.device_id for a in await register.expiring(date(2026, 5, 10))] == ["db-1"]


async def test_escalation_uses_the_contracts_hotline_and_support_level(
    register: AssetRegister,
) -> None:
    before = await register.vendor_contact("core-sw-1")
    assert before is not None and before.hotline == "400-000-0000"  # site.yaml's, no contract
    await register.save_contract(SUPERVISOR, CONTRACT)
    await register.save_asset(SUPERVISOR, "core-sw-1", ASSET)
    contact = await register.vendor_contact("core-sw-1")
    assert contact is not None
    assert (contact.vendor, contact.hotline, contact.support_level, contact.contract_number) == (
        "华为",
        "400-822-9999",
        "7x24 4小时到场",
        "HT-2026-001",
    )
    assert contact.contact == "400-822-9999（7x24 4小时到场）"
    assert await register.vendor_contact(None) is None


async def test_the_monthly_report_lists_warranties_ending_within_60_days(
    register: AssetRegister, store: Store, clock: ManualClock
) -> None:
    from data.exports.markdown import to_markdown
    from data.exports.report_doc import report_document
    from data.records.reports.book import monthly

    await register.save_contract(SUPERVISOR, CONTRACT)  # ends 2026-04-15
    await register.save_asset(SUPERVISOR, "core-sw-1", ASSET)
    report = await monthly(store, register._site, "2026-03", clock=clock)
    assert [(a.device_id, a.covered_until) for a in report.warranties] == [
        ("core-sw-1", date(2026, 4, 15))
    ]
    text = to_markdown(report_document(report))
    assert "ZC-2026-0001" in text and "2026-04-15" in text and "HT-2026-001" in text
    filtered = await monthly(store, register._site, "2026-03", device_id="db-1", clock=clock)
    assert filtered.warranties == ()  # the report's devices only
