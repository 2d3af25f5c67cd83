"""The demo's asset register: every device with vendor data in the demo site registered
(asset number, location from site.yaml, owner unit, purchase date) under one maintenance
contract per vendor with that vendor's hotline. Sugon's contract (the OA server's) ends
40 days from now, so the wall's header, the register and the report flag one warranty;
the others run for another year. Dates are counted from ``now``: the flag is the same for
any ``now``. The two temperature sensors stay unregistered, as site.yaml describes them.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from data.models import Device
from demo.seed_desk import SeedDesk

KEEPER = "wangwu"  # the supervisor who keeps the register
OWNER_UNIT = "市大数据发展局"
ENDING_VENDOR = "曙光"  # its contract ends within the 60 days flagged
SUPPORT = {  # by device kind; other kinds: next-day on site
    "router": "7x24 4小时到场",
    "switch": "7x24 4小时到场",
    "firewall": "7x24 4小时到场",
    "ids": "7x24 4小时到场",
    "server": "7x24 4小时到场",
    "storage": "7x24 2小时到场",
}


def registered(desk: SeedDesk) -> list[Device]:
    return [device for device in desk.site.devices if device.asset.vendor]


def plan_assets(desk: SeedDesk) -> None:
    """At the first watch's start: the contracts, then each device's asset data."""
    desk.at(desk.watch_start(0) + timedelta(minutes=20), partial(_register, desk))


async def _register(desk: SeedDesk) -> None:
    keeper = await desk.accounts.find(KEEPER)  # acts without a password check, like a script
    assert keeper is not None
    today = desk.now.astimezone(desk.tz).date()
    devices = registered(desk)
    numbers: dict[str, str] = {}
    for device in devices:
        vendor = device.asset.vendor or ""
        if vendor in numbers:
            continue
        numbers[vendor] = f"WB-{today.year}-{len(numbers) + 1:02d}"
        ends = today + timedelta(days=40 if vendor == ENDING_VENDOR else 365)
        contract = {
            "number": numbers[vendor],
            "vendor": vendor,
            "hotline": device.asset.support or "",
            "support_level": SUPPORT.get(device.kind, "5x8 次日到场"),
            "starts_on": (ends - timedelta(days=3 * 365)).isoformat(),
            "ends_on": ends.isoformat(),
        }
        await desk.assets.save_contract(keeper, contract)
    for index, device in enumerate(devices, start=1):
        draft = (await desk.assets.asset(keeper, device.id)).form_values()
        purchased = _purchased(today, index)
        values = {
            **draft,
            "asset_number": f"ZC-{purchased.year}-{index:04d}",
            "owner_unit": OWNER_UNIT,
            "purchased_on": purchased.isoformat(),
            "contract_number": numbers[device.asset.vendor or ""],
            "warranty_end": "",  # covered by the contract
        }
        await desk.assets.save_asset(keeper, device.id, values)


def _purchased(today: date, index: int) -> date:
    """Bought two to three years ago, a few weeks apart."""
    return today - timedelta(days=2 * 365 + 21 * index)
