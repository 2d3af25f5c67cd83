"""The demo's asset register: the devices with vendor data registered under one contract
per vendor, locations as site.yaml gives them, one warranty flagged (ending within 60
days) whatever ``now`` is, every change audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from data.accounts import User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.config import load_site_config
from data.records.assets.book import AssetRegister
from data.roles import Role
from tests.demo.test_demo_seed import NOW, opened, seeded

LATER = NOW + timedelta(days=250)
KEEPER = User(3, "wangwu", "王五", Role.SUPERVISOR)


@pytest.mark.parametrize("now", [NOW, LATER], ids=["march", "november"])
async def test_the_demo_register(tmp_path: Path, fast_scrypt: None, now: datetime) -> None:
    db_path, summary = await seeded(tmp_path, now)
    assert summary.counts["assets"] == 20  # every device but the two sensors
    assert summary.counts["contracts"] == 11  # one per vendor
    site = load_site_config(tmp_path / "site" / "site.yaml").site
    async with opened(db_path) as store:
        audit = AuditTrail(store, clock=ManualClock(now))
        register = AssetRegister(store, audit, site, ManualClock(now))
        [ending] = await register.expiring()
        assert ending.device_id == "srv-oa-1" and ending.contract is not None
        assert ending.contract.vendor == "曙光" and ending.hotline == "400-810-0466"
        router = next(a for a in await register.assets(KEEPER) if a.device_id == "rt-ext-1")
        assert (router.room, router.rack, router.u) == ("主机房", "A01", 38)
        assert router.effective_support_level == "7x24 4小时到场" and router.stored
        saves = await audit.query(action="asset.save", limit=100)
        assert len(saves) == 20 and {row.user for row in saves} == {"wangwu"}
