"""The demo's roster: seeded for this month and the next, every seeded watch held by the
operator rostered for it (so no handover needed a reason), two operators a shift during
an assurance period of the demo site, and a swap on a coming day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from data.audit import AuditTrail
from data.clock import ManualClock
from data.config import load_site_config
from data.records.roster.book import RosterBook
from demo.seed_roster import SWAP_REASON
from tests.demo.test_demo_seed import NOW, opened, seeded

HOLIDAY_NOW = datetime(2026, 10, 2, 6, 0, tzinfo=UTC)  # 14:00 on 2 October: 国庆节


@pytest.mark.parametrize("now", [NOW, HOLIDAY_NOW], ids=["march", "national-day"])
async def test_the_demo_roster_matches_the_watches(
    tmp_path: Path, fast_scrypt: None, now: datetime
) -> None:
    db_path, summary = await seeded(tmp_path, now)
    first = now.date().replace(day=1)
    assert summary.counts["roster_days"] == 61  # this month and the next
    assert summary.counts["roster_swaps"] == 1
    site = load_site_config(tmp_path / "site" / "site.yaml").site
    async with opened(db_path) as store:
        roster = RosterBook(store, AuditTrail(store, clock=ManualClock(now)), site)
        assert await roster.deviations(first, date(2027, 12, 31)) == []
        [swap] = await roster.swaps(first, date(2027, 12, 31))
        assert swap.reason == SWAP_REASON and swap.day > now.date()
        today = await roster.on_shift(now)
        assert today is not None and summary.on_duty in today.operators
        if now == HOLIDAY_NOW:
            assert today.period is not None and today.period.name == "国庆节"
            assert len(today.operators) == 2 and today.leader == "韦国强"
