"""The record books one app works with, built on first use and kept for the app's life.

``handover_book(app)``, ``inspection_book(app)`` and ``incident_book(app)`` share the app's
store, audit trail, accounts and clock; the handover book lists inspections through the same
inspection book.
``INSPECTION_FIGURE`` is today's inspection status for the header.
``refresh_duty(app)`` reads who holds the watch into ``app.duty_operator`` (the header
shows the duty operator, who is not always the one logged in at this terminal).
``account_of(app, name)`` is the account of a user who just signed (e.g. the incoming
operator, who then holds the console).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from console.header_figures import HeaderFigure
from data.accounts import User
from data.checklist_templates import shipped_templates
from data.checklists import Checklist, load_checklist
from data.config import SiteConfigError, load_site_config
from data.i18n import t
from data.models import Site
from data.records.handover.book import HandoverBook
from data.records.incidents.book import IncidentBook
from data.records.inspections.book import InspectionBook
from data.roles import Role

if TYPE_CHECKING:
    from console.app import DutyDeskApp

_inspections: WeakKeyDictionary[DutyDeskApp, InspectionBook] = WeakKeyDictionary()
_handovers: WeakKeyDictionary[DutyDeskApp, HandoverBook] = WeakKeyDictionary()
_incidents: WeakKeyDictionary[DutyDeskApp, IncidentBook] = WeakKeyDictionary()


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


def inspection_book(app: DutyDeskApp) -> InspectionBook:
    book = _inspections.get(app)
    if book is None:
        services = app.services
        book = InspectionBook(
            services.store, services.audit, services.accounts, app.site,
            site_checklists(app.site), app.config.clock,
        )  # fmt: skip
        _inspections[app] = book
    return book


def handover_book(app: DutyDeskApp) -> HandoverBook:
    book = _handovers.get(app)
    if book is None:
        services = app.services
        book = HandoverBook(
            services.store, services.audit, services.accounts, app.site, app.config.clock,
            inspections=inspection_book(app),
        )  # fmt: skip
        _handovers[app] = book
    return book


def incident_book(app: DutyDeskApp) -> IncidentBook:
    book = _incidents.get(app)
    if book is None:
        services = app.services
        book = IncidentBook(services.store, services.audit, app.site, app.config.clock)
        _incidents[app] = book
    return book


async def refresh_duty(app: DutyDeskApp) -> None:
    """Put the duty operator's name (full name when known) into the header."""
    on_duty = await handover_book(app).on_duty()
    name = None
    if on_duty is not None:
        row = await app.services.store.fetchone(
            "SELECT full_name FROM users WHERE name = ?", (on_duty.user,)
        )
        name = (row["full_name"] if row else "") or on_duty.user
    app.duty_operator = name
    app.refresh_header()


async def account_of(app: DutyDeskApp, name: str) -> User:
    """The account ``name`` as stored now (the data layer authenticated it just before)."""
    row = await app.services.store.fetchone(
        "SELECT id, name, full_name, role FROM users WHERE name = ?", (name,)
    )
    if row is None:
        raise LookupError(f"no account {name}")
    return User(int(row["id"]), str(row["name"]), str(row["full_name"]), Role(row["role"]))


async def _inspection_text(app: DutyDeskApp) -> str:
    """``巡检 待做 1/2``: scheduled inspections of the current period not yet done."""
    statuses = await inspection_book(app).status(app.config.clock())
    due = [s for s in statuses if not s.done]
    if not statuses:
        return ""
    if not due:
        return t("header.inspections_done")
    return t("header.inspections_due", due=len(due), total=len(statuses))


INSPECTION_FIGURE = HeaderFigure("inspections", _inspection_text, max_age=60.0)
