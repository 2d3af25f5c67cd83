"""The demo's duty roster: the supervisor (王五) rosters this month and the next the day
before the first seeded watch, the two operators taking turns so that every seeded watch
is held by the one rostered (the handovers check it); days of an assurance period in the
demo site.yaml get both operators on every shift. A swap is recorded on a coming day."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from data.accounts import User
from data.records.roster.model import plan
from demo.seed_desk import ON_DUTY_NOW, OTHER_OPERATOR, SeedDesk

SUPERVISOR = "wangwu"
VENDORS = (
    "华为 400-822-9999（核心交换机）\n"
    "深信服 400-630-6430（防火墙）\n"
    "科华 400-808-9986（UPS）\n"
    "中国电信政企客服 10000（外网出口）"
)
# Leaders on call on ordinary days, in turn (an assurance period names its own).
LEADERS = (("黄志明", "13907710002"), ("覃丽华", "13907710003"))
SWAP_REASON = "家中有事，与李四调换白班"


def plan_roster(desk: SeedDesk) -> None:
    moment = desk.watch_start(0) - timedelta(hours=2)
    desk.at(moment, partial(_roster, desk))


def roster_days(desk: SeedDesk) -> list[date]:
    """From the first of the first watch's month to the end of the next month."""
    first = desk.watch_start(0).astimezone(desk.tz).date().replace(day=1)
    after = (first + timedelta(days=62)).replace(day=1)
    return [first + timedelta(days=n) for n in range((after - first).days)]


def on_shift(desk: SeedDesk, day: date, shift: str, index: int) -> list[str]:
    """Who the roster names: the seeded watch's operator where there is one, else the two
    operators in turn; both during an assurance period (the watch's operator first)."""
    held = {
        (span.start.date(), span.name): operator
        for span, operator in zip(desk.spans, desk.operators, strict=True)
    }
    first = held.get((day, shift))
    if first is None:
        first = ON_DUTY_NOW if (day.toordinal() + index) % 2 else OTHER_OPERATOR
    other = OTHER_OPERATOR if first == ON_DUTY_NOW else ON_DUTY_NOW
    in_period = any(period.covers(day) for period in desk.site.site.calendar.assurance)
    return [first, other] if in_period else [first]


async def _supervisor(desk: SeedDesk) -> User:
    # The roster was made ahead by the supervisor: no login of theirs is replayed (the
    # seed's password checks are the watches' and inspections').
    user = await desk.accounts.find(SUPERVISOR)
    assert user is not None, "the demo accounts are made before seeding"
    return user


async def _roster(desk: SeedDesk) -> None:
    boss = await _supervisor(desk)
    shifts = desk.roster.shift_names
    for day in roster_days(desk):
        leader, phone = LEADERS[day.toordinal() % len(LEADERS)]
        in_period = any(period.covers(day) for period in desk.site.site.calendar.assurance)
        await desk.roster.save_day(
            boss,
            plan(
                day=day,
                shifts={shift: on_shift(desk, day, shift, i) for i, shift in enumerate(shifts)},
                leader="" if in_period else leader,
                leader_phone="" if in_period else phone,
                vendors=VENDORS,
            ),
        )
    await _swap_a_coming_day(desk, boss)


async def _swap_a_coming_day(desk: SeedDesk, boss: User) -> None:
    """The first ordinary day after tomorrow: its day shift changes hands."""
    day = desk.now.astimezone(desk.tz).date() + timedelta(days=2)
    shift = desk.roster.shift_names[0]
    while (rostered := await desk.roster.day(day)).period is not None:
        day += timedelta(days=1)
    [giving] = rostered.on(shift)
    taking = OTHER_OPERATOR if giving == ON_DUTY_NOW else ON_DUTY_NOW
    await desk.roster.swap(boss, day, shift, giving, taking, SWAP_REASON)
