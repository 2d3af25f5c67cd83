"""Hotline calls and follow-ups of a period (data.records.hotline) as a printable Document:
one table of calls, phone numbers masked as they are stored (a call's record never holds
the number in clear, and this module never sees the cipher), and one of follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from data.exports.document import Document, Section, Table
from data.exports.formatting import when
from data.i18n import t
from data.records.hotline.model import Call, FollowUp

CALL_COLUMNS = (
    "id",
    "received",
    "taken_by",
    "caller",
    "unit",
    "phone",
    "topic",
    "action",
    "incident",
)
FOLLOWUP_COLUMNS = ("incident", "done_at", "done_by", "contact", "satisfaction", "remarks")


def call_row(call: Call, tz: tzinfo) -> list[str]:
    return [
        str(call.id),
        when(call.received_at, tz),
        call.taken_by,
        call.caller,
        call.unit,
        call.phone_masked or "",
        call.topic,
        call.action,
        f"#{call.incident_id}" if call.incident_id is not None else "",
    ]


def followup_row(followup: FollowUp, tz: tzinfo) -> list[str]:
    return [
        f"#{followup.incident_id}",
        when(followup.done_at, tz),
        followup.done_by,
        followup.contact,
        t(f"hotline.satisfaction.{followup.satisfaction}"),
        followup.remarks,
    ]


def call_list_document(
    calls: Sequence[Call],
    followups: Sequence[FollowUp],
    site_name: str,
    tz: tzinfo,
    period: str,
) -> Document:
    call_rows = [call_row(c, tz) for c in sorted(calls, key=lambda c: (c.received_at, c.id))]
    followup_rows = [followup_row(f, tz) for f in followups]
    return Document(
        t("export.title.calls"),
        site_name,
        [(t("export.report.period"), period)],
        [
            Section(
                t("export.calls.calls"),
                table=Table([t(f"export.calls.{c}") for c in CALL_COLUMNS], call_rows),
            ),
            Section(
                t("export.calls.followups"),
                table=Table([t(f"export.followups.{c}") for c in FOLLOWUP_COLUMNS], followup_rows),
            ),
        ],
    )
