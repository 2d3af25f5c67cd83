"""The duty desk the demo history is replayed through: the desk (data.desk) on one manual
clock, the watches of the last days, and a timeline of steps run in time order.

Seeding goes through the same public record APIs an operator's actions do (roles checked,
every change audited), so the audit chain of a seeded database verifies like any other.
Each step runs with the clock set to its moment, so what the books stamp (audit rows,
signatures, timelines) reads as if it happened then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from data.accounts import User
from data.clock import ManualClock
from data.config import LoadedSite
from data.desk import Desk
from data.models import SiteInfo
from data.shifts import ShiftSpan, shift_at
from data.store import Store
from demo.setup import DEMO_ACCOUNTS

TERMINAL = "demo"
WATCHES = 4  # three handed over and sealed, and the one open now
ON_DUTY_NOW = "zhangsan"
OTHER_OPERATOR = "lisi"

Step = Callable[[], Awaitable[object]]


def watch_spans(site: SiteInfo, now: datetime, count: int = WATCHES) -> list[ShiftSpan]:
    """The shift covering ``now`` and the ``count - 1`` before it, oldest first."""
    span = shift_at(site, now)
    spans = [span] if span is not None else []
    while spans and len(spans) < count:
        span = shift_at(site, spans[0].start - timedelta(microseconds=1))
        if span is None:
            break
        spans.insert(0, span)
    if len(spans) < count:
        raise ValueError("the demo history needs a shift table that covers the whole day")
    return spans


class SeedDesk(Desk):
    """The desk on a manual clock, with the watches to replay and the steps of the timeline."""

    def __init__(self, store: Store, loaded: LoadedSite, now: datetime) -> None:
        self.now = now
        clock = ManualClock(now)
        super().__init__(
            loaded.site, store, terminal=TERMINAL, clock=clock, checklists=loaded.checklists
        )
        self.clock: ManualClock = clock
        self.tz = loaded.site.site.tz
        self.spans = watch_spans(self.site.site, now)
        # The operators take turns; the last watch (open now) is ON_DUTY_NOW's.
        self.operators = [
            ON_DUTY_NOW if (len(self.spans) - i) % 2 else OTHER_OPERATOR
            for i in range(len(self.spans))
        ]
        self.ids: dict[str, int] = {}  # records made by earlier steps, by story name
        self._users: dict[str, User] = {}
        self._steps: list[tuple[datetime, int, Step]] = []

    # The timeline.

    def at(self, moment: datetime, step: Step) -> None:
        """Run ``step`` at ``moment`` (never later than now). Steps at the same moment run
        in the order they were added."""
        self._steps.append((min(moment, self.now), len(self._steps), step))

    async def run(self) -> None:
        for moment, _, step in sorted(self._steps, key=lambda s: (s[0], s[1])):
            self.clock.set(moment)
            await step()
        self.clock.set(self.now)

    # Who acts.

    def watch_start(self, index: int) -> datetime:
        return self.spans[index].start

    def operator_at(self, moment: datetime) -> str:
        """Who held the watch at ``moment`` (the first watch's operator before it)."""
        held = [
            op for span, op in zip(self.spans, self.operators, strict=True) if span.start <= moment
        ]
        return held[-1] if held else self.operators[0]

    async def user(self, name: str) -> User:
        """The account, logged in (one password check) the first time it acts."""
        if name not in self._users:
            self._users[name] = await self.accounts.authenticate(name, password(name))
        return self._users[name]

    async def on_duty(self) -> User:
        return await self.user(self.operator_at(self.clock()))


def password(name: str) -> str:
    return next(pw for account, pw, _ in DEMO_ACCOUNTS if account == name)
