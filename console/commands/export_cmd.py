"""``dutydesk export handovers|visitors|inspections|incidents|audit`` and ``dutydesk report``.

What a supervisor files and an auditor keeps: a date range of records as CSV, Markdown or
PDF. Records need the export permission (supervisor), the audit trail the auditor's; both
are checked in data/ terms and every export is audited. Visitors' ID and phone numbers
stay masked in every export; the audit export carries the chain hashes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from console.commands import common
from data.accounts import User
from data.desk import Desk
from data.exports import to_csv, to_csv_document, to_markdown
from data.exports.document import Document, Section, Table
from data.exports.handover_doc import handover_document
from data.exports.inspection_doc import inspection_document
from data.i18n import t
from data.models import Site
from data.paths import write_private
from data.roles import Permission

KINDS = (
    "handovers",
    "visitors",
    "inspections",
    "incidents",
    "drills",
    "calls",
    "assets",
    "roster",
    "assurance",
    "audit",
)
FORMATS = ("csv", "md", "pdf")
_PERSON_LABELS = (
    "record_doc.inspection.inspector",
    "record_doc.handover.outgoing",
    "record_doc.handover.incoming",
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.bad_date", value=text)) from None


def _month(text: str) -> str:
    try:
        dt.date.fromisoformat(text + "-01")
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.bad_month", value=text)) from None
    return text


def add_parsers(sub: Any, global_options: Callable[..., None]) -> None:
    e = sub.add_parser("export", help=t("cli.export"), description=t("cli.export"))
    global_options(e, root=False)
    e.add_argument("kind", choices=KINDS)
    e.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    e.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    e.add_argument("--format", choices=FORMATS, default="csv")
    e.add_argument("--out", type=Path, metavar="PATH", help=t("cli.export.out"))
    e.set_defaults(handler=run_export)
    r = sub.add_parser("report", help=t("cli.report"), description=t("cli.report"))
    global_options(r, root=False)
    r.add_argument("--month", type=_month, metavar="YYYY-MM", help=t("cli.report.month"))
    r.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    r.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
    r.add_argument("--zone", metavar="ID")
    r.add_argument("--kind", dest="device_kind", metavar="KIND")
    r.add_argument("--device", metavar="ID")
    r.add_argument("--format", choices=FORMATS, default="md")
    r.add_argument("--out", type=Path, metavar="PATH", help=t("cli.export.out"))
    r.set_defaults(handler=run_report)


def _span(site: Site, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Whole days of the site's time zone, both ends included, as UTC bounds [since, until)."""
    tz = site.site.tz
    since = dt.datetime.combine(start, dt.time(), tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
    return since.astimezone(dt.UTC), until.astimezone(dt.UTC)


def _write(doc: Document, fmt: str, out: Path | None, site: Site) -> None:
    if fmt == "pdf":
        if out is None:
            raise common.CliError(t("cli.export.pdf_needs_out"))
        from data.exports.pdf import to_pdf

        to_pdf(doc, out, font_path=site.site.pdf_font)
    else:
        tables = [section.table for section in doc.sections if section.table is not None]
        if fmt == "md":
            text = to_markdown(doc)
        elif len(tables) == 1:  # one table (visitors, audit): a plain sheet a program can read
            text = to_csv(tables[0])
        else:
            text = to_csv_document(doc)
        if out is None:
            sys.stdout.write(text.removeprefix("\ufeff") if fmt == "csv" else text)
            return
        write_private(out, text)
    print(t("export.written", path=out), file=sys.stderr)


def _merge(title: str, site: Site, period: str, docs: list[Document]) -> Document:
    """Many records (one document each) as one file: their sections one after another."""
    sections: list[Section] = []
    for doc in docs:
        sections.append(
            Section(
                doc.title + (f" — {doc.subtitle}" if doc.subtitle else ""),
                [f"{label}: {value}" for label, value in doc.meta],
            )
        )
        sections.extend(doc.sections)
    if not docs:
        sections.append(Section(t("export.none")))
    return Document(
        title,
        site.site.name,
        [(t("export.report.period"), period)],
        sections,
        docs[0].signatures if docs else [],
    )


async def _build(
    kind: str, desk: Desk, user: User, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    site = desk.site
    if kind == "handovers":
        handovers = await desk.handovers.history(since, until)
        names = await _full_names(desk)
        documents = [
            _with_full_names(handover_document(h, desk.handovers.site), names) for h in handovers
        ]
        return _merge(t("export.title.handovers"), site, period, documents)
    if kind == "inspections":
        records = await desk.inspections.records(since, until)
        names = await _full_names(desk)
        documents = [
            _with_full_names(inspection_document(r, site=desk.inspections.site), names)
            for r in records
        ]
        return _merge(t("export.title.inspections"), site, period, documents)
    if kind == "incidents":
        from data.exports.incident_doc import incident_list_document

        incidents = await desk.incidents.history(since, until)
        return incident_list_document(incidents, site.site.name, site.site.tz, period)
    if kind == "drills":
        from data.exports.drill_doc import drill_list_document

        drills = await desk.emergency.history(since, until, kind="drill")
        return drill_list_document(drills, site.site.name, site.site.tz, period)
    if kind == "visitors":
        return await _visitors(desk, user, since, until, period)
    if kind in ("roster", "assurance"):
        from console.commands import roster_cmd

        build = roster_cmd.roster_export if kind == "roster" else roster_cmd.assurance_export
        return await build(desk, since, until, period)
    if kind == "calls":
        return await _calls(desk, user, since, until, period)
    if kind == "assets":
        from console.commands.assets_cmd import asset_register

        return await asset_register(desk, user, since, until)
    return await _audit(desk, since, until, period)


async def _visitors(
    desk: Desk, user: User, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    from data.exports.visitor_doc import visitor_list_document

    tz = desk.site.site.tz
    last_day = (until - dt.timedelta(seconds=1)).astimezone(tz).date()
    records = await desk.visitors.search(
        user, date_from=since.astimezone(tz).date(), date_to=last_day, limit=5000
    )
    return visitor_list_document(records, desk.site.site.name, tz, period)


async def _calls(
    desk: Desk, user: User, since: dt.datetime, until: dt.datetime, period: str
) -> Document:
    """Hotline calls received and follow-ups done in the period; numbers stay masked."""
    from data.exports.call_doc import call_list_document

    calls = await desk.hotline.calls(user, since, until, limit=5000)
    followups = await desk.hotline.followups(user, since, until)
    return call_list_document(calls, followups, desk.site.site.name, desk.site.site.tz, period)


async def _full_names(desk: Desk) -> dict[str, str]:
    rows = await desk.store.fetchall("SELECT name, full_name FROM users")
    return {str(row[0]): str(row[1]) for row in rows if row[1]}


def _with_full_names(doc: Document, names: Mapping[str, str]) -> Document:
    """The record's people (inspector, outgoing and incoming operator) by full name and
    account, as they sign on paper: 李四（lisi）."""
    labels = {t(key) for key in _PERSON_LABELS}

    def person(name: str) -> str:
        full = names.get(name)
        return t("export.person", full=full, name=name) if full else name

    meta = [(label, person(value) if label in labels else value) for label, value in doc.meta]
    return dataclasses.replace(doc, meta=meta)


async def _audit(desk: Desk, since: dt.datetime, until: dt.datetime, period: str) -> Document:
    import json

    entries = [e for e in await desk.audit.query(since=since, limit=1_000_000) if e.ts < until]
    rows = [
        [
            str(e.id),
            e.ts.isoformat(),
            e.user or "",
            e.terminal,
            e.action,
            e.object,
            e.outcome,
            json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
            e.prev_hash,
            e.hash,
        ]
        for e in sorted(entries, key=lambda e: e.id)
    ]
    columns = [
        "id",
        "ts_utc",
        "user",
        "terminal",
        "action",
        "object",
        "outcome",
        "detail",
        "prev_hash",
        "hash",
    ]
    return Document(
        t("export.title.audit"),
        desk.site.site.name,
        [(t("export.report.period"), period)],
        [Section("", [], Table(columns, rows))],
    )


def run_export(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    if args.date_to < args.date_from:
        raise common.CliError(t("cli.export.bad_range"))
    source = common.passwords(args)
    permission = Permission.EXPORT_AUDIT if args.kind == "audit" else Permission.EXPORT_RECORDS
    since, until = _span(site, args.date_from, args.date_to)
    period = f"{args.date_from} — {args.date_to}"

    async def go() -> Document:
        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            user = await common.login(desk, args, source, permission)
            doc = await _build(args.kind, desk, user, since, until, period)
            await desk.audit.record(
                user.name, f"export.{args.kind}", period, detail={"format": args.format}
            )
            return doc
        finally:
            await desk.close()

    _write(common.run(go), args.format, args.out, site)
    return 0


def run_report(args: argparse.Namespace) -> int:
    site = common.load_site_or_fail(args)
    if args.month:
        period: Any = args.month
    elif args.date_from and args.date_to:
        period = (args.date_from, args.date_to)
    else:
        period = dt.datetime.now(site.site.tz).strftime("%Y-%m")
    source = common.passwords(args)

    async def go() -> Document:
        from data.exports.report_doc import report_document

        desk = await common.open_or_fail(site, common.db_path(args))
        try:
            user = await common.login(desk, args, source, Permission.EXPORT_RECORDS)
            report = await desk.reports.monthly(
                period, zone=args.zone, kind=args.device_kind, device_id=args.device
            )
            await desk.audit.record(
                user.name, "report.export", str(period), detail={"format": args.format}
            )
            return report_document(report)
        finally:
            await desk.close()

    _write(common.run(go), args.format, args.out, site)
    return 0
