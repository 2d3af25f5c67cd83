"""A site with inspection templates whose items read live checks, and its seeded database,
for the inspections screen tests (Pilot and snapshots)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from console.app import DutyDeskApp
from data.config import load_site
from data.models import Site
from data.records.checks.batch import CheckBatch
from data.records.checks.book import CheckRecords
from data.store import Store
from tests.support.console import (
    ACCOUNTS,
    FIXED_NOW,
    FIXTURES,
    log_in,
    make_app,
    seed_accounts,
    wait_until,
)

READ_AT = FIXED_NOW - dt.timedelta(minutes=2)  # 09:58 in Asia/Shanghai
SENSOR = """
  - id: th-a
    name: A列温湿度传感器
    kind: sensor
    zone: extranet
    host: 127.0.0.4
    checks:
      - {id: temp, type: tcp, port: 9}
      - {id: humidity, type: tcp, port: 9}
inspections:
  - checklists/daily-room.yaml
  - checklists/monthly-system.yaml
"""
DAILY = """
id: daily-room
name: 机房日常巡检
name_en: Daily machine-room round
schedule: daily
sections:
  - title: 环境 Environment
    items:
      - {id: temp-a, text: A列机柜进风温度, kind: reading, unit: "°C", range: "18..27",
         source: {device: th-a, check: temp}, guidance: 冷通道进风，GB 50174 A级 18–27 °C}
      - {id: rh-a, text: A列机柜湿度, kind: reading, unit: "%RH", range: "40..60",
         source: {device: th-a, check: humidity}}
      - {id: water, text: 地板下无漏水、无积水, guidance: 掀开精密空调附近地板检查漏水绳}
  - title: 供配电与消防 Power and fire
    items:
      - {id: ups, text: UPS-1 运行正常, source: {device: ups-1, check: ups}}
      - {id: gas, text: 七氟丙烷储瓶压力, kind: reading, unit: MPa, range: "2.3..2.8"}
      - {id: fire-panel, text: 消防控制器状态, kind: choice, choices: [正常, 故障, 报警]}
      - {id: notes, text: 其他情况说明, kind: text, required: false}
"""
MONTHLY = """
id: monthly-system
name: 月度系统巡检
name_en: Monthly system inspection
schedule: monthly
sections:
  - title: 主机 Hosts
    items:
      - {id: app-web, text: 政务应用服务可访问, source: {device: app-1, check: web}}
      - {id: logs, text: 系统日志无异常错误}
"""
DAILY_ITEMS = ["temp-a", "rh-a", "water", "ups", "gas", "fire-panel", "notes"]


def inspection_site(folder: Path, language: str = "zh_CN") -> Site:
    """minimal-site.yaml plus a temperature/humidity sensor and two templates."""
    (folder / "checklists").mkdir(parents=True, exist_ok=True)
    (folder / "checklists" / "daily-room.yaml").write_text(DAILY, encoding="utf-8")
    (folder / "checklists" / "monthly-system.yaml").write_text(MONTHLY, encoding="utf-8")
    text = (FIXTURES / "minimal-site.yaml").read_text(encoding="utf-8").rstrip() + "\n"
    (folder / "site.yaml").write_text(text + SENSOR, encoding="utf-8")
    site = load_site(folder / "site.yaml")
    return site.model_copy(update={"site": site.site.model_copy(update={"language": language})})


async def seed_live_values(db_path: Path, humidity: float = 65.0) -> None:
    """The latest results the form pre-fills from: 23.4 °C, an out-of-range humidity, and
    an OK UPS check."""
    store = await Store.open(db_path)
    try:
        batch = CheckBatch()
        for device, check, state, value, unit in (
            ("th-a", "temp", "OK", 23.4, "°C"),
            ("th-a", "humidity", "WARNING", humidity, "%RH"),
            ("ups-1", "ups", "OK", None, None),
        ):
            batch.add_result(
                device,
                check,
                state=state,
                hard=True,
                attempt=1,
                value=value,
                unit=unit,
                message="",
                at=READ_AT,
            )
        await CheckRecords(store).persist(batch)
    finally:
        await store.close()


async def seed_inspection_db(db_path: Path) -> None:
    await seed_accounts(db_path)
    await seed_live_values(db_path)


def inspection_app(db_path: Path, folder: Path, language: str = "zh_CN") -> DutyDeskApp:
    return make_app(
        db_path, language=language, site=inspection_site(folder, language), run_checks=False
    )


async def open_section(pilot: Pilot[int], user: str = "zhangsan") -> None:
    """Log in and go to the inspections section, its templates listed."""
    await log_in(pilot, user, ACCOUNTS[user][0])
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-wall")
    await pilot.press("5")
    await wait_until(pilot, lambda: pilot.app.screen.id == "section-inspections")
    table = pilot.app.screen.query_one("#inspections-due", DataTable)
    await wait_until(pilot, lambda: table.row_count >= 2)
