"""The demo's access log: vendors' engineers and staff who came in over the last days, and
one visitor who is in the machine room now.

Everyone here is made up. The resident ID numbers have the real format (a region code of
GB/T 2260, a birth date, a sequence number whose parity gives the sex, and the GB 11643
check character computed by data.idnumbers), so they pass the same validation a real
entry does; the mobile numbers have the real shape and belong to nobody we know of.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial

from data.idnumbers import DocType, check_character
from data.records.visitors.model import Item, VisitorEntry
from demo.seed_desk import SeedDesk


def resident_id(region: str, born: date, sequence: int) -> str:
    """A resident ID number of that region code, birth date and sequence (odd: male)."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class _Visit:
    """Who came when: ``watch`` and ``hours`` into it (watch None: ``hours`` before now);
    ``stay`` None means still inside."""

    watch: int | None
    hours: float
    stay: timedelta | None
    who: VisitorEntry
    items_out: tuple[Item, ...] = ()
    exit_note: str = ""


def _visitor(
    name: str,
    organisation: str,
    id_number: str,
    phone: str,
    purpose: str,
    badge: str,
    work_on: tuple[str, ...],
    items: tuple[Item, ...],
) -> VisitorEntry:
    # The escort is filled in when the visit is registered: whoever is on duty then.
    return VisitorEntry(
        name=name,
        id_type=DocType.RESIDENT_ID,
        id_number=id_number,
        organisation=organisation,
        phone=phone,
        purpose=purpose,
        escort="",
        badge=badge,
        work_on=work_on,
        items_in=items,
    )


_LAPTOP = "笔记本电脑"
UPS_TESTER = (Item(_LAPTOP, "PF3K9Z21"), Item("蓄电池内阻测试仪", "KH-BT-2031"))
CABLING = (Item("六类网线（3 米）", count=3), Item("压线钳"))
HUAWEI_KIT = (Item(_LAPTOP, "HW-NB-77120"), Item("Console 调试线"))
TELECOM_KIT = (Item(_LAPTOP, "R9-TC-40815"), Item("光功率计", "JW3208-1127"))

VISITS = (
    _Visit(
        0,
        2.0,
        timedelta(minutes=95),
        _visitor(
            "黄志强",
            "科华数据股份有限公司南宁服务站",
            resident_id("450103", date(1985, 3, 12), 31),
            "13977102468",
            "UPS 季度维护保养、蓄电池内阻测试",
            "V-01",
            ("ups-1", "ups-2"),
            UPS_TESTER,
        ),
        UPS_TESTER,
    ),
    _Visit(
        1,
        3.0,
        timedelta(minutes=120),
        _visitor(
            "梁海燕",
            "南宁市信安布线工程有限公司",
            resident_id("450105", date(1993, 11, 5), 246),
            "18677135790",
            "B02 机柜跳线更换",
            "V-02",
            ("srv-sms-1", "srv-db-1"),
            CABLING,
        ),
        (Item("压线钳"),),
        "3 根网线已用于 B02 机柜跳线更换",
    ),
    _Visit(
        2,
        2.0,
        timedelta(minutes=75),
        _visitor(
            "周伟",
            "华为技术有限公司广西代表处",
            resident_id("440305", date(1990, 7, 21), 157),
            "13560218844",
            "外网核心交换机2 故障分析及补丁加载",
            "V-03",
            ("core-sw-ext-2",),
            HUAWEI_KIT,
        ),
        HUAWEI_KIT,
    ),
    _Visit(
        None,
        50 / 60,
        None,
        _visitor(
            "韦建华",
            "中国电信南宁分公司",
            resident_id("450102", date(1988, 9, 30), 77),
            "18977150321",
            "外网出口线路割接前现场勘查",
            "V-01",
            ("rt-ext-1",),
            TELECOM_KIT,
        ),
    ),
)
# Staff by account name: (watch, hours into it, stay, account, purpose).
STAFF = ((0, 4.0, timedelta(minutes=40), "wangwu", "季度机房安全检查"),)


def plan_visits(desk: SeedDesk) -> None:
    for number, visit in enumerate(VISITS):
        if visit.watch is None:
            entered = desk.now - timedelta(hours=visit.hours)
        else:
            entered = desk.watch_start(visit.watch) + timedelta(hours=visit.hours)
        key = f"visit-{number}"
        desk.at(entered, partial(_enter, desk, visit.who, key))
        if visit.stay is not None:
            desk.at(entered + visit.stay, partial(_leave, desk, visit, key))
    for watch, hours, stay, account, purpose in STAFF:
        entered = desk.watch_start(watch) + timedelta(hours=hours)
        key = f"staff-{account}"
        desk.at(entered, partial(_staff, desk, account, purpose, key))
        desk.at(entered + stay, partial(_staff_leaves, desk, key))


async def _enter(desk: SeedDesk, who: VisitorEntry, key: str) -> None:
    actor = await desk.on_duty()
    desk.ids[key] = await desk.visitors.enter_visitor(actor, replace(who, escort=actor.name))


async def _leave(desk: SeedDesk, visit: _Visit, key: str) -> None:
    await desk.visitors.exit(await desk.on_duty(), desk.ids[key], visit.items_out, visit.exit_note)


async def _staff(desk: SeedDesk, account: str, purpose: str, key: str) -> None:
    desk.ids[key] = await desk.visitors.enter_staff(await desk.on_duty(), account, purpose=purpose)


async def _staff_leaves(desk: SeedDesk, key: str) -> None:
    await desk.visitors.exit(await desk.on_duty(), desk.ids[key])
