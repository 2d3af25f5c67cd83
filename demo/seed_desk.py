"""The duty desk the demo history is replayed through: every record book on one manual
clock, the watches of the last days, and a timeline of steps run in time order.

Seeding goes through the same public record APIs an operator's actions do (roles checked,
every change audited), so the audit chain of a seeded database verifies like any other.
Each step runs with the clock set to its moment, so what the books stamp (audit rows,
signatures, timelines) reads as if it happened then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.clock import ManualClock
from data.config import LoadedSite
from data.crypto import open_cipher
from data.models import SiteInfo
from data.records.actions import ActionLog
from data.records.alarms import AlarmBook
from data.records.handover import HandoverBook
from data.records.incidents import IncidentBook
from data.records.inspections import InspectionBook
from data.records.visitors import AccessLog
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


class Desk:
    """The record books, the clock they read and the steps to replay."""

    def __init__(self, store: Store, loaded: LoadedSite, db_path: Path, now: datetime) -> None:
        self.now = now
        self.clock = ManualClock(now)
        self.site = loaded.site
        self.tz = loaded.site.site.tz
        clock, site = self.clock, self.site
        self.store = store
        self.audit = AuditTrail(store, terminal=TERMINAL, clock=clock)
        self.accounts = Accounts(store, self.audit, clock=clock)
        self.inspections = InspectionBook(
            store, self.audit, self.accounts, site, loaded.checklists, clock
        )
        self.handovers = HandoverBook(
            store, self.audit, self.accounts, site, clock, inspections=self.inspections
        )
        self.alarms = AlarmBook(store, self.audit, clock)
        self.incidents = IncidentBook(store, self.audit, site, clock)
        self.access = AccessLog(store, self.audit, open_cipher(db_path), clock, tz=self.tz)
        self.actions = ActionLog(store, self.audit, clock)
        self.spans = watch_spans(site.site, now)
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
        held = [op for span, op in zip(self.spans, self.operators, strict=True)
                if span.start <= moment]  # fmt: skip
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
