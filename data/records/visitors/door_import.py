"""Import of door-controller event logs (CSV) into the access log's door events.

The file: one event per line with the columns card, time, door, direction (in or out; 进
or 出 too). A header row is recognised by its names (English or Chinese) and then fixes
the column order; without one the order above is assumed. UTF-8 with or without a BOM
is read, else GBK (read as GB 18030, its superset), which Chinese controller software
still writes. Times without a zone are the site's local time.

Each event is matched to the access record whose badge is the event's card and whose
stay (entry to exit, or to now while inside) contains the event's time, give or take
``tolerance`` (10 minutes: controller clocks drift, and people badge at the door a
little before the duty desk writes them in). The report lists the matched and unmatched
events and the malformed lines with their line numbers. Events are stored with the
SHA-256 of their normalised fields, so importing the same file twice adds nothing (the
report counts them as duplicates). Each import writes one audit row with the counts.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from data.audit import AuditTrail
from data.clock import Clock, from_db, to_db, utc_now
from data.errors import DutyDeskError
from data.records.permissions import require_audited
from data.roles import Actor, Permission
from data.store import Store

DEFAULT_TOLERANCE = timedelta(minutes=10)
MAX_FILE_BYTES = 20 * 1024 * 1024
COLUMNS = ("card", "time", "door", "direction")
_HEADER_NAMES = {
    "card": {"card", "card_no", "cardno", "card no", "card number", "badge", "卡号", "卡片号"},
    "time": {"time", "datetime", "timestamp", "event time", "时间", "刷卡时间", "事件时间"},
    "door": {"door", "door name", "reader", "门", "门禁", "门禁点", "门名称"},
    "direction": {"direction", "dir", "in/out", "方向", "进出", "进出方向"},
}
_DIRECTIONS = {
    "in": "in",
    "i": "in",
    "entry": "in",
    "enter": "in",
    "进": "in",
    "入": "in",
    "进门": "in",
    "out": "out",
    "o": "out",
    "exit": "out",
    "出": "out",
    "出门": "out",
}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d %H%M%S", "%Y%m%d%H%M%S")


class DoorImportError(DutyDeskError):
    """Codes: door_file_unreadable, door_file_too_large, door_file_encoding,
    door_file_columns (a header without the four columns)."""

    code = "door_import_error"


@dataclass(frozen=True)
class DoorEvent:
    line: int
    card: str
    at: datetime
    door: str
    direction: str

    @property
    def line_hash(self) -> str:
        text = "\x1f".join((self.card, to_db(self.at), self.door, self.direction))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MatchedEvent:
    event: DoorEvent
    record_id: int
    kind: str  # "visitor" or "staff"
    name: str


@dataclass(frozen=True)
class MalformedLine:
    line: int
    reason: str


@dataclass
class ImportReport:
    source: str
    encoding: str
    matched: list[MatchedEvent] = field(default_factory=list)
    unmatched: list[DoorEvent] = field(default_factory=list)
    malformed: list[MalformedLine] = field(default_factory=list)
    duplicates: int = 0  # events imported before, or twice in this file


class DoorImporter:
    def __init__(
        self,
        store: Store,
        audit: AuditTrail,
        clock: Clock = utc_now,
        *,
        tz: tzinfo = UTC,
        tolerance: timedelta = DEFAULT_TOLERANCE,
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self._tz = tz
        self._tolerance = tolerance

    async def import_file(self, actor: Actor, path: Path | str) -> ImportReport:
        source = Path(path)
        try:
            with source.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise DoorImportError(
                f"cannot read {source}: {exc.strerror}",
                code="door_file_unreadable",
                path=str(source),
            ) from None
        return await self.import_bytes(actor, data, source.name)

    async def import_bytes(self, actor: Actor, data: bytes, source: str) -> ImportReport:
        obj = f"door_import:{source}"
        await require_audited(self._audit, actor, [Permission.WRITE_RECORDS], "door.import", [obj])
        if len(data) > MAX_FILE_BYTES:
            raise DoorImportError(
                f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                code="door_file_too_large",
                max_mb=MAX_FILE_BYTES // (1024 * 1024),
            )
        text, encoding = decode(data)
        report = ImportReport(source, encoding)
        events = list(parse_events(text, self._tz, report.malformed))
        now = to_db(self._clock())
        async with self._store.transaction():
            for event in events:
                await self._store_event(event, report, source, now, actor.name)
            await self._audit.record(
                actor.name,
                "door.import",
                obj,
                detail={
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "encoding": encoding,
                    "matched": len(report.matched),
                    "unmatched": len(report.unmatched),
                    "malformed": len(report.malformed),
                    "duplicates": report.duplicates,
                },
            )
        return report

    async def _store_event(
        self, event: DoorEvent, report: ImportReport, source: str, now: str, user: str
    ) -> None:
        match = await self._match(event)
        rows = await self._store.write(
            "INSERT INTO door_events (line_hash, card, at, door, direction, record_id, source,"
            " imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (line_hash) DO NOTHING RETURNING id",
            (
                event.line_hash,
                event.card,
                to_db(event.at),
                event.door,
                event.direction,
                match.record_id if match else None,
                source,
                now,
                user,
            ),
        )
        if not rows:
            report.duplicates += 1  # imported before, or twice in this file
            return
        if match is None:
            report.unmatched.append(event)
        else:
            report.matched.append(match)

    async def _match(self, event: DoorEvent) -> MatchedEvent | None:
        """The record of the card holder whose stay contains the event (± tolerance); the
        closest one if several do."""
        rows = await self._store.fetchall(
            "SELECT id, kind, name, entered_at, exited_at FROM access_records WHERE badge = ?"
            " AND entered_at <= ? AND (exited_at IS NULL OR exited_at >= ?)",
            (event.card, to_db(event.at + self._tolerance), to_db(event.at - self._tolerance)),
        )
        best: tuple[timedelta, int] | None = None
        found: MatchedEvent | None = None
        for row in rows:
            entered = from_db(row["entered_at"])
            exited = from_db(row["exited_at"]) if row["exited_at"] else None
            distance = max(entered - event.at, (event.at - exited) if exited else timedelta(0))
            rank = (max(distance, timedelta(0)), -int(row["id"]))
            if best is None or rank < best:
                best = rank
                found = MatchedEvent(event, int(row["id"]), row["kind"], row["name"])
        return found


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read as: "utf-8" (BOM or not) or "gbk"."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise DoorImportError(
            "the file is neither UTF-8 nor GBK text", code="door_file_encoding"
        ) from None


def parse_events(text: str, tz: tzinfo, malformed: list[MalformedLine]) -> Iterator[DoorEvent]:
    """The events of a CSV text; malformed lines are appended to ``malformed``."""
    reader = csv.reader(io.StringIO(text))
    order: list[int] | None = None
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if order is None:
                order = _header_order(cells)
                if order:
                    continue  # a header row
                order = [0, 1, 2, 3]
            event = _event(line, cells, order, tz)
            if isinstance(event, MalformedLine):
                malformed.append(event)
            else:
                yield event
    except csv.Error as exc:
        malformed.append(MalformedLine(reader.line_num, f"unreadable CSV: {exc}"))


def _header_order(cells: list[str]) -> list[int]:
    """Column positions of card, time, door, direction if ``cells`` is a header; else []."""
    names = [cell.casefold() for cell in cells]
    positions = {
        column: next((i for i, name in enumerate(names) if name in known), None)
        for column, known in _HEADER_NAMES.items()
    }
    if all(position is None for position in positions.values()):
        return []
    missing = [column for column, position in positions.items() if position is None]
    if missing:
        raise DoorImportError(
            f"the header row lacks the column(s) {', '.join(missing)}",
            code="door_file_columns",
            missing=", ".join(missing),
        )
    return [position for position in positions.values() if position is not None]


def _event(line: int, cells: list[str], order: list[int], tz: tzinfo) -> DoorEvent | MalformedLine:
    if len(cells) <= max(order):
        return MalformedLine(line, f"expected {len(COLUMNS)} columns, found {len(cells)}")
    card, when, door, direction = (cells[i] for i in order)
    card = "".join(card.split())
    if not card:
        return MalformedLine(line, "no card number")
    at = _parse_time(when, tz)
    if at is None:
        return MalformedLine(line, f"not a time: {when[:40]!r}")
    if not door:
        return MalformedLine(line, "no door")
    way = _DIRECTIONS.get(direction.casefold())
    if way is None:
        return MalformedLine(line, f"direction is not in or out: {direction[:20]!r}")
    return DoorEvent(line, card, at, door, way)


def _parse_time(text: str, tz: tzinfo) -> datetime | None:
    value = text.strip().replace("/", "-")
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        for pattern in _TIME_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment
