"""What the handover and inspection documents share: times in the site's zone, the
record columns' names, and the seal with the audit chain's anchor."""

from __future__ import annotations

from datetime import datetime, tzinfo

from data.i18n import t
from data.records.sealing import Seal


class LocalTime:
    """Formats aware times in one zone; a missing time shows as ''."""

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz

    def __call__(self, moment: datetime | None) -> str:
        return f"{moment.astimezone(self._tz):%Y-%m-%d %H:%M}" if moment else ""


def seal_meta(seal: Seal) -> list[tuple[str, str]]:
    """The seal, and the audit chain's anchor at seal time: on paper, it lets anyone prove
    later that the trail still holds this record's row (dutydesk audit verify --anchor)."""
    meta = [(t("record_doc.seal"), seal.sha256)]
    if seal.anchor is not None:
        meta.append((t("record_doc.anchor"), str(seal.anchor)))
    return meta


def column_names(*keys: str) -> list[str]:
    return [t(f"record_doc.col.{key}") for key in keys]
