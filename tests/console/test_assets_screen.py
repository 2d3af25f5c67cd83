"""Pilot tests of the asset register section: reached from the palette and by A on the
wall (it has no digit), a supervisor edits a device's asset data and a contract (refusals
under their fields), an operator only reads, warranties ending within 60 days are
counted in the header; at 80x24 and 160x45."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Static

from console.app import DutyDeskApp
from console.screens.assets.dialogs import AssetDialog, ContractDialog
from console.screens.assets.screen import AssetsScreen
from console.screens.incidents.dialogs import IncidentForm
from console.screens.incidents.screen import IncidentsScreen
from data.audit import AuditTrail
from data.i18n import t
from data.records.assets.book import AssetRegister
from data.records.incidents.book import IncidentBook
from data.store import Store
from tests.support.console import ACCOUNTS, FIXED_NOW, minimal_site, wait_until
from tests.support.incidents import (
    OPERATOR,
    form,
    header,
    quiet_app,
    site_with_asset,
    start,
)
from tests.support.seed import seeded_with
from widgets.nav_bar import NavBar

pytestmark = pytest.mark.usefixtures("fast_scrypt")
SIZES = [(80, 24), (160, 45)]


class Supervisor:
    name, role = "wangwu", "supervisor"


async def seed_contract(db: Path) -> None:
    """A contract ending 2026-12-20 (23 days after the tests' today) on ups-1."""
    store = await Store.open(db)
    try:
        register = AssetRegister(
            store, AuditTrail(store, terminal="test"), minimal_site(), lambda: FIXED_NOW
        )
        contract = {
            "number": "HT-UPS-01",
            "vendor": "科华",
            "hotline": "400-808-9986",
            "support_level": "5x8 次日到场",
            "starts_on": "2024-12-21",
            "ends_on": "2026-12-20",
        }
        await register.save_contract(Supervisor(), contract)  # type: ignore[arg-type]
        asset = {"asset_number": "ZC-UPS-0001", "contract_number": "HT-UPS-01", "rack": "B02"}
        await register.save_asset(Supervisor(), "ups-1", asset)  # type: ignore[arg-type]
    finally:
        await store.close()


def error(app: DutyDeskApp, name: str) -> str:
    """What the open form shows under field ``name``."""
    return str(form(app).query_one(f"#error-{name}", Static).render())


def rows(screen: AssetsScreen, table: str = "table") -> list[list[str]]:
    grid = screen.query_one(f"#assets-{table}", DataTable)
    return [[str(cell) for cell in grid.get_row_at(i)] for i in range(grid.row_count)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x45"])
@seeded_with(seed_contract)
async def test_supervisor_opens_a_device_asset_with_A_and_saves_it(
    seeded_db: Path, size: tuple[int, int]
) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=size) as pilot:
        await start(pilot, "wangwu")
        await wait_until(pilot, lambda: "warranty ending 1" in header(app))
        await pilot.press("A")  # the wall's first tile: 外网核心交换机1 (core-sw-1)
        await wait_until(pilot, lambda: app.screen.id == "section-assets")
        screen = app.screen
        assert isinstance(screen, AssetsScreen)
        await wait_until(pilot, lambda: screen.selected() == "core-sw-1")
        listed = rows(screen)
        assert listed[0][0] == t("assets.unregistered")  # as site.yaml says, not yet saved
        ups = next(row for row in listed if row[0] == "ZC-UPS-0001")
        assert "HT-UPS-01" in ups and t("assets.ending_flag", days=23) in ups[-1]
        assert str(screen.query_one(NavBar).render()).count("None") == 0

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AssetDialog))
        fields = form(app)
        assert fields.values()["vendor"] == "华为"  # the site's asset data, the first draft
        await pilot.press(*"ZC 1", "ctrl+s")  # a space: refused under its field
        await wait_until(pilot, lambda: t("error.asset_bad_number") in error(app, "asset_number"))
        assert isinstance(app.screen, AssetDialog)
        await pilot.press("backspace", "backspace", *"-0001", "ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: rows(screen)[0][0] == "ZC-0001")
        saved = await app.desk.audit.query(action="asset.save", user="wangwu")
        assert [(row.object, row.outcome) for row in saved if row.object.endswith("core-sw-1")] == [
            ("asset:core-sw-1", "ok")
        ]  # the refused try stored nothing

        await pilot.press("c")  # the contracts
        await wait_until(pilot, lambda: screen.showing_contracts)
        assert rows(screen, "contracts")[0][:3] == ["HT-UPS-01", "科华", "400-808-9986"]
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ContractDialog))
        await pilot.press(*"HT-2", "tab", *"华为", "ctrl+s")  # no term: refused per field
        await wait_until(pilot, lambda: error(app, "starts_on") != "")
        assert error(app, "ends_on") == t("error.asset_required")


@seeded_with(seed_contract)
async def test_an_operator_reads_and_is_told_who_may_edit(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot, "zhangsan")
        app.action_section("assets")  # what the palette's entry calls
        await wait_until(pilot, lambda: app.screen.id == "section-assets")
        screen = app.screen
        assert isinstance(screen, AssetsScreen)
        await wait_until(pilot, lambda: len(screen.assets) == 3)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, AssetsScreen)  # no form
        assert any(t("assets.read_only") in str(n.message) for n in app._notifications)


async def test_the_palette_lists_the_register(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(120, 36)) as pilot:
        await start(pilot, "zhangsan")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*t("nav.assets"))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id == "section-assets")
        assert ACCOUNTS["zhangsan"][1] == "operator"


async def seed_switch_contract(db: Path) -> None:
    """core-sw-1 under a contract whose hotline differs from site.yaml's, and a phone report
    about it."""
    store = await Store.open(db)
    try:
        audit = AuditTrail(store, terminal="test")
        register = AssetRegister(store, audit, site_with_asset(), lambda: FIXED_NOW)
        contract = {
            "number": "HT-SW-09",
            "vendor": "华为",
            "hotline": "400-600-1234",
            "support_level": "7x24 2小时到场",
            "starts_on": "2026-01-01",
            "ends_on": "2027-12-31",
        }
        await register.save_contract(Supervisor(), contract)  # type: ignore[arg-type]
        asset = {"asset_number": "ZC-SW-0001", "contract_number": "HT-SW-09"}
        await register.save_asset(Supervisor(), "core-sw-1", asset)  # type: ignore[arg-type]
        incidents = IncidentBook(store, audit, site_with_asset(), clock=lambda: FIXED_NOW)
        await incidents.open_manual(
            OPERATOR, "核心交换机端口闪断", "major", "network", device_id="core-sw-1"
        )
    finally:
        await store.close()


@seeded_with(seed_switch_contract)
async def test_escalation_offers_the_contracts_hotline_and_support_level(seeded_db: Path) -> None:
    app = quiet_app(seeded_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("6")
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentsScreen))
        screen = app.screen
        assert isinstance(screen, IncidentsScreen)
        await wait_until(pilot, lambda: screen.selected is not None)
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, IncidentForm))
        values = form(app).values()
        assert values["vendor"] == "华为"
        assert values["contact"] == "李工 / 400-600-1234（7x24 2小时到场）"
        title = str(app.screen.query_one(".dialog-title", Static).render())
        assert "HT-SW-09" in title and "7x24 2小时到场" in title
