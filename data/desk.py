"""The duty desk: every record book of one database, built once over one store and one
audit trail, opened together by ``open_desk`` and closed together by ``Desk.close``.

The console, the CLI commands, the demo seeder and the tests all work through a Desk, so a
book is never wired twice and two callers never hold two books over the same rows (the
alarm book in particular is the desk's, not the watch's: an alarm can be acknowledged
whether or not the checks are running).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import cast

from data.accounts import Accounts
from data.audit import AuditTrail
from data.checklist_templates import shipped_templates
from data.checklists import Checklist, load_checklist
from data.clock import Clock, utc_now
from data.config import SiteConfigError, load_site_config
from data.crypto import open_cipher
from data.emergency_plans import site_plans
from data.models import Site
from data.records.actions.book import ActionLog
from data.records.alarms.book import AlarmBook
from data.records.assets.book import AssetRegister
from data.records.checks.book import CheckRecords
from data.records.emergency.book import EmergencyBook
from data.records.events.book import EventLog
from data.records.handover.book import HandoverBook
from data.records.hotline.book import HotlineBook
from data.records.incidents.book import IncidentBook
from data.records.inspections.book import InspectionBook
from data.records.reports.book import monthly
from data.records.reports.model import Period, Report
from data.records.roster.book import RosterBook
from data.records.visitors.book import AccessLog
from data.records.watch.book import WatchBook
from data.site_history import record_site_change
from data.store import Store
from data.stores import open_store

__all__ = ["Desk", "Reports", "open_desk", "site_checklists"]


def site_checklists(site: Site) -> list[Checklist]:
    """The site's inspection templates: those its site.yaml lists (with the checks they
    read validated), else the shipped ones (a site built in code, e.g. in tests)."""
    if site.source is not None:
        try:
            return list(load_site_config(site.source).checklists)
        except (SiteConfigError, OSError):  # changed on disk since start: the paths it had
            pass
    if site.inspections:
        return [load_checklist(path) for path in site.inspections]
    return shipped_templates()


class Reports:
    """Service reports over the desk's store, site, inspection templates and clock."""

    def __init__(
        self, store: Store, site: Site, templates: Iterable[Checklist], clock: Clock
    ) -> None:
        self._store = store
        self._site = site
        self._templates = tuple(templates)
        self._clock = clock

    async def monthly(
        self,
        period: Period,
        zone: str | None = None,
        kind: str | None = None,
        device_id: str | None = None,
    ) -> Report:
        """The report for ``period`` ("2026-11", two dates, or two aware datetimes)."""
        return await monthly(
            self._store,
            self._site,
            period,
            zone,
            kind,
            device_id,
            templates=self._templates,
            clock=self._clock,
        )


class Desk:
    """Every book of one database. Make it with ``await open_desk(...)`` (or, over a store
    already open, ``Desk(site, store, ...)``); ``await close()`` it, or use ``async with``."""

    def __init__(
        self,
        site: Site,
        store: Store,
        *,
        terminal: str | None = None,
        clock: Clock = utc_now,
        checklists: Iterable[Checklist] | None = None,
    ) -> None:
        """``checklists`` are the inspection templates (default: ``site_checklists(site)``);
        the demo seeder passes those it loaded with the site."""
        self.site = site
        self.store = store
        self.clock = clock
        self.terminal = terminal
        self.audit = AuditTrail(store, terminal=terminal, clock=clock)
        self.accounts = Accounts(store, self.audit, clock=clock)
        templates = list(site_checklists(site) if checklists is None else checklists)
        self.alarms = AlarmBook(store, self.audit, clock)
        self.checks = CheckRecords(store, clock)
        self.events = EventLog(store)
        self.incidents = IncidentBook(store, self.audit, site, clock)
        self.inspections = InspectionBook(store, self.audit, self.accounts, site, templates, clock)
        self.roster = RosterBook(store, self.audit, site, clock)
        self.handovers = HandoverBook(
            store,
            self.audit,
            self.accounts,
            site,
            clock,
            inspections=self.inspections,
            roster=self.roster,
        )
        self.actions = ActionLog(store, self.audit, clock)
        self.assets = AssetRegister(store, self.audit, site, clock)
        self.watch = WatchBook(store)  # the watch lease, outages and open consoles
        self.reports = Reports(store, site, templates, clock)

    @property
    def db_path(self) -> Path:
        return self.store.path

    @cached_property
    def visitors(self) -> AccessLog:
        """The access (visitor) book, built on first use: it needs the database's field key
        (``<db>.key``), which a desk that never reads visitors (most CLI commands) does not.
        The key is made by ``dutydesk init`` and by the console at start
        (``data.crypto.ensure_key``), never here: a missing key is KeyFileError, not a new
        key that cannot read the visitors already stored."""
        return AccessLog(
            self.store, self.audit, open_cipher(self.db_path), self.clock, tz=self.site.site.tz
        )

    @cached_property
    def hotline(self) -> HotlineBook:
        """The hotline book (calls and follow-ups), built on first use like ``visitors``:
        callers' numbers are encrypted with the same field key."""
        return HotlineBook(
            self.store, self.audit, open_cipher(self.db_path), self.incidents, self.clock
        )

    @cached_property
    def emergency(self) -> EmergencyBook:
        """Emergency plan runs and drills, built on first use: it loads the site's plan
        files (``emergency.plans``, else the shipped ones), which most commands never read."""
        return EmergencyBook(self.store, self.audit, site_plans(self.site), self.clock)

    async def close(self) -> None:
        await self.store.close()

    async def __aenter__(self) -> Desk:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def open_desk(
    site: Site,
    db_path: Path | str,
    *,
    terminal: str | None = None,
    clock: Clock = utc_now,
    key_dir: Path | str | None = None,
) -> Desk:
    """Open the store at ``db_path`` (created and migrated as needed) and every book over
    it; a site.yaml changed since the last start is audited first. ``db_path`` may be a
    PostgreSQL DSN (``data.stores``), whose key files live under ``key_dir``."""
    # PgStore offers the Store API the books call (data.stores), hence the cast.
    store = cast(Store, await open_store(db_path, key_dir=key_dir))
    desk = Desk(site, store, terminal=terminal, clock=clock)
    try:
        await record_site_change(desk.store, desk.audit, site.source)
    except BaseException:
        await desk.close()
        raise
    return desk
