"""The header of a console attached to another process's watch: at 80 columns, with the
header full, it still says a watch is active and how old its heartbeat is (the holder
cut to its host); at 160 columns it names the holder in full."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

from console.app import DutyDeskApp
from data.audit import AuditTrail
from data.models import AssurancePeriod, Calendar
from data.records.roster.model import plan
from data.records.watch.lease import WatchLease
from data.records.watch.model import Holder
from data.store import Store
from tests.support.console import make_app, minimal_site, wait_until, watch_text
from tests.support.incidents import start
from widgets.duty_header import DutyHeader

pytestmark = pytest.mark.usefixtures("fast_scrypt")
TODAY = dt.date(2026, 11, 27)  # FIXED_NOW in Asia/Shanghai
SERVE_HOST = "jf-mon-01.govnet"
PERIOD = {"name": "测试保障", "start": "2026-11-27", "end": "2026-11-28", "leader": "韦主任"}


async def held_by_a_serve(db: Path) -> None:
    """Another process (a ``serve`` on SERVE_HOST) holds the watch; its last beat is dated
    an hour ahead, so it stays fresh however long the test runs."""
    store = await Store.open(db)
    try:
        holder = Holder(f"{SERVE_HOST}:4242:beef", SERVE_HOST, 4242, "serve")
        settings = minimal_site().watch
        lease = WatchLease(store, AuditTrail(store, terminal="test"), holder, settings, wall=ahead)
        assert await lease.try_acquire()
    finally:
        await store.close()


def ahead() -> float:
    return time.time() + 3600


def attached_app(db: Path, language: str) -> DutyDeskApp:
    """A console whose header is full: a long site name, the roster of an assurance
    period naming two people and the leader."""
    site = minimal_site(language)
    calendar = Calendar(assurance=[AssurancePeriod.model_validate(PERIOD)])
    info = site.site.model_copy(
        update={"calendar": calendar, "name": "南宁市电子政务外网中心机房（演示）"}
    )
    return make_app(
        db, language=language, start_checks=False, site=site.model_copy(update={"site": info})
    )


def header_line(app: DutyDeskApp) -> str:
    return app.screen.query_one(DutyHeader).render().plain


@pytest.mark.parametrize(
    ("language", "brief", "full"),
    [
        ("zh_CN", "监视 jf-mon-01 0秒", f"监视 serve@{SERVE_HOST} 0秒"),
        ("en", "watch jf-mon-01 0s", f"watch serve@{SERVE_HOST} 0s"),
    ],
)
async def test_a_full_header_at_80_columns_shows_the_watch_and_its_heartbeat(
    seeded_db: Path, language: str, brief: str, full: str
) -> None:
    await held_by_a_serve(seeded_db)
    app = attached_app(seeded_db, language)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.live is not None)
        assert not app.live.active  # attached: the serve is the watch
        await start(pilot, "wangwu")
        boss = await app.desk.accounts.find("wangwu")
        assert boss is not None
        both = ["zhangsan", "wangwu"]
        await app.desk.roster.save_day(boss, plan(day=TODAY, shifts={"白班": both, "夜班": both}))
        app.figures.roster.invalidate()
        await wait_until(pilot, lambda: "韦主任" in app.status_text())
        await wait_until(pilot, lambda: app.lease is not None)
        app.refresh_header()
        line = header_line(app)
        assert cell_len(line) <= 80, line
        assert line.rstrip().endswith(brief), line  # the watch, never cut
        assert watch_text(app) == full

        await pilot.resize_terminal(160, 45)
        await wait_until(pilot, lambda: full in header_line(app))
        line = header_line(app)
        assert cell_len(line) <= 160 and app.status_text() in line, line
