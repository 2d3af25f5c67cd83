"""The asset register section (设备资产): every device's asset data, or the maintenance
contracts (``c`` switches), the selected row's details below; warranties ending within
60 days are flagged. Supervisors and the admin edit (Enter or ``e``; ``n`` a new
contract); everyone else reads. No digit is left for it: the palette opens it, and ``A``
on the wall or a device opens it on that device (``show_asset``).

The rules (who may change what, validation, the audit row) are in data.records.assets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.context import DeskContext
from console.header_figures import warranties_text
from console.screens.assets.dialogs import AssetDialog, ContractDialog
from console.screens.section import SectionScreen
from data.accounts import User
from data.errors import DutyDeskError
from data.i18n import explain, t
from data.records.assets.model import AssetRecord, Contract
from data.roles import Permission, allows

ASSET_COLUMNS = ("asset_number", "device", "place", "vendor", "contract", "warranty_end")
CONTRACT_COLUMNS = ("number", "vendor", "hotline", "support_level", "term")


async def show_asset(app: App[Any], device_id: str) -> None:
    """Switch to the asset register with ``device_id`` selected (A on the wall, a device)."""
    await app.switch_mode("assets")
    screen = app.screen
    if isinstance(screen, AssetsScreen):
        screen.select_device(device_id)


class AssetsScreen(SectionScreen):
    SECTION = "assets"
    RECORD_ACTIONS = ("asset.save", "asset.contract.")  # changes reload the lists
    BINDINGS = [
        Binding("e", "edit", "assets.key.edit", id="assets.edit"),
        Binding("c", "toggle_contracts", "assets.key.contracts", id="assets.contracts"),
        Binding("n", "new_contract", "assets.key.new_contract", id="assets.new_contract"),
    ]
    CSS_PATH = Path(__file__).with_name("assets.tcss")

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(ctx)
        self.assets: dict[str, AssetRecord] = {}
        self.contracts: dict[str, Contract] = {}
        self.showing_contracts = False
        self._wanted: str | None = None  # a device to select once the list is read

    def compose_body(self) -> ComposeResult:
        yield Static("", id="assets-summary", markup=False)
        yield DataTable[Text](id="assets-table", cursor_type="row", zebra_stripes=True)
        yield DataTable[Text](
            id="assets-contracts", cursor_type="row", zebra_stripes=True, classes="hidden"
        )
        yield Static("", id="assets-detail", markup=False)

    def table(self, name: str) -> DataTable[Text]:
        return self.query_one(f"#assets-{name}", DataTable)

    def on_mount(self) -> None:
        for column in ASSET_COLUMNS:
            self.table("table").add_column(t(f"assets.col.{column}"), key=column)
        for column in CONTRACT_COLUMNS:
            self.table("contracts").add_column(t(f"assets.col.{column}"), key=column)
        self.table("table").focus()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.call_later(self.reload)  # also after each dialog: it may have changed the register

    @property
    def user(self) -> User | None:
        return self.ctx.user

    def may_edit(self) -> bool:
        return self.user is not None and allows(self.user.role, Permission.MANAGE_ASSETS)

    async def reload(self) -> None:
        if self.user is None:
            return
        register = self.ctx.desk.assets
        try:
            assets = await register.assets(self.user)
            contracts = await register.contracts(self.user)
        except DutyDeskError as error:
            self.query_one("#assets-summary", Static).update(explain(error))
            return
        self.assets = {asset.device_id: asset for asset in assets}
        self.contracts = {contract.number: contract for contract in contracts}
        today = register.today()
        ending = sum(asset.ends_within(today) for asset in assets)
        summary = t(
            "assets.summary",
            total=len(assets),
            stored=sum(asset.stored for asset in assets),
            ending=ending,
        )
        self.query_one("#assets-summary", Static).update(summary)
        self.ctx.figures.warranties.put(warranties_text(ending))  # counted just now
        _fill(self.table("table"), [(a.device_id, asset_cells(a, today)) for a in assets])
        _fill(self.table("contracts"), [(c.number, contract_cells(c, today)) for c in contracts])
        if self._wanted is not None and self._wanted in self.assets:
            self._move_to(self._wanted)
            self._wanted = None
        self.show_detail()

    def select_device(self, device_id: str) -> None:
        """Show the assets with ``device_id`` under the cursor (now, or once read)."""
        if self.showing_contracts:
            self.action_toggle_contracts()
        if device_id in self.assets:
            self._move_to(device_id)
        else:
            self._wanted = device_id

    def _move_to(self, device_id: str) -> None:
        table = self.table("table")
        table.move_cursor(row=table.get_row_index(device_id), animate=False)
        table.focus()
        self.show_detail()

    def selected(self) -> str | None:
        table = self.table("contracts" if self.showing_contracts else "table")
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_edit()  # Enter on a row: the same as e

    def show_detail(self) -> None:
        detail = self.query_one("#assets-detail", Static)
        key = self.selected()
        if self.showing_contracts or key is None or key not in self.assets:
            detail.update("")
            return
        detail.update(asset_detail(self.assets[key]))

    def action_toggle_contracts(self) -> None:
        self.showing_contracts = not self.showing_contracts
        self.table("table").set_class(self.showing_contracts, "hidden")
        self.table("contracts").set_class(not self.showing_contracts, "hidden")
        self.table("contracts" if self.showing_contracts else "table").focus()
        self.show_detail()

    def action_edit(self) -> None:
        key = self.selected()
        if key is None:
            return
        if not self._editable():
            return
        if self.showing_contracts:
            self._edit_contract(self.contracts.get(key))
        else:
            self._edit_asset(self.assets[key])

    def action_new_contract(self) -> None:
        if self._editable():
            self._edit_contract(None)

    def _editable(self) -> bool:
        if not self.may_edit():
            self.notify(t("assets.read_only"), severity="warning")
            return False
        return True

    def _edit_asset(self, asset: AssetRecord) -> None:
        user, register = self.user, self.ctx.desk.assets
        assert user is not None

        async def save(values: Mapping[str, str]) -> AssetRecord:
            return await register.save_asset(user, asset.device_id, values)

        def saved(record: AssetRecord | None) -> None:
            if record is not None:
                self.notify(t("assets.saved", number=record.asset_number))

        dialog = AssetDialog(asset, list(self.contracts.values()), save)
        self.app.push_screen(dialog, saved)

    def _edit_contract(self, contract: Contract | None) -> None:
        user, register = self.user, self.ctx.desk.assets
        assert user is not None

        async def save(values: Mapping[str, str]) -> Contract:
            return await register.save_contract(user, values)

        def saved(record: Contract | None) -> None:
            if record is not None:
                self.notify(t("assets.contract_saved", number=record.number))

        self.app.push_screen(ContractDialog(contract, save), saved)


def _fill(table: DataTable[Text], rows: list[tuple[str, list[Text]]]) -> None:
    """Replace the rows; the cursor stays on the same row when it is still listed."""
    current = None
    if table.row_count:
        current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if current is not None and current in {key for key, _ in rows}:
        table.move_cursor(row=table.get_row_index(current), animate=False)


def warranty_cell(end: date | None, today: date) -> Text:
    if end is None:
        return Text("")
    if end < today:
        return Text(f"{end} {t('assets.expired_flag')}", style="dim")
    days = (end - today).days
    if days <= 60:
        return Text(f"{end} {t('assets.ending_flag', days=days)}", style="bold")
    return Text(str(end))


def asset_cells(asset: AssetRecord, today: date) -> list[Text]:
    number = asset.asset_number or t("assets.unregistered")
    return [
        Text(number, style="" if asset.stored else "dim"),
        Text(asset.device_name),
        Text(asset.place),
        Text(asset.vendor or (asset.contract.vendor if asset.contract else "")),
        Text(asset.contract_number or ""),
        warranty_cell(asset.covered_until, today),
    ]


def contract_cells(contract: Contract, today: date) -> list[Text]:
    term = f"{contract.starts_on} – {contract.ends_on}"
    flag = warranty_cell(contract.ends_on, today)
    return [
        Text(contract.number),
        Text(contract.vendor),
        Text(contract.hotline),
        Text(contract.support_level),
        Text(term, style=flag.style),
    ]


def asset_detail(asset: AssetRecord) -> str:
    line = t(
        "assets.detail",
        device=asset.device_name,
        device_id=asset.device_id,
        model=asset.model or "-",
        serial=asset.serial or "-",
        owner=asset.owner_unit or "-",
        purchased=asset.purchased_on or "-",
    )
    contract = asset.contract
    if contract is None:
        return f"{line}\n{t('assets.detail_no_contract')}"
    terms = t(
        "assets.detail_contract",
        number=contract.number,
        vendor=contract.vendor,
        hotline=contract.hotline or "-",
        level=asset.effective_support_level or "-",
        start=contract.starts_on,
        end=contract.ends_on,
    )
    return f"{line}\n{terms}"
