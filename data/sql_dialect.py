"""The SQL dialect seam: the SQL the record books write today (SQLite's) as PostgreSQL runs it.

``to_postgres(sql)`` translates one statement once (cached) into a ``PgStatement``:

- placeholders ``?`` (in order) and ``:name`` become ``$1, $2, ...``; never inside a
  string literal, a quoted identifier or a comment, and never a PostgreSQL ``::`` cast;
- ``user``, a column of the audit trail and a reserved word (``CURRENT_USER``) in
  PostgreSQL, is quoted wherever it stands as a bare word;
- ``LIKE`` ignores case on SQLite (ASCII letters; ``ESCAPE`` as written), so it becomes
  ``ILIKE``;
- ``INSERT ... ON CONFLICT (...) DO UPDATE SET x = excluded.x`` and ``RETURNING`` are the
  same in both and pass unchanged.

What it cannot translate is refused with a ``DialectError`` that names the construct, so
a book that still uses SQLite-only SQL fails loudly in its PostgreSQL test rather than
doing something else on the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from data.errors import DutyDeskError

# Bare words that are identifiers in our SQLite schema but reserved words in PostgreSQL.
_QUOTED_WORDS = frozenset({"user"})

# SQLite-only constructs, matched on the statement with literals and comments blanked out.
_REFUSED: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), what)
    for pattern, what in (
        (r"\bpragma\b", "PRAGMA (SQLite's settings)"),
        (r"\binsert\s+or\s+\w+", "INSERT OR ... (use ON CONFLICT)"),
        (r"\breplace\s+into\b", "REPLACE INTO (use INSERT ... ON CONFLICT DO UPDATE)"),
        (r"\bjson_(extract|object|array|group_array|group_object|each|set)\s*\(", "json_*()"),
        (r"\b(strftime|julianday|unixepoch)\s*\(", "SQLite's date functions"),
        (r"\bdatetime\s*\(", "SQLite's datetime()"),
        (r"\bglob\b", "GLOB"),
        (r"\bsqlite_\w+", "SQLite's own tables"),
        (r"\bmatch\b", "MATCH (FTS5 search)"),
        (r"\bgroup_concat\s*\(", "group_concat() (use string_agg)"),
        (r"\b(ifnull|iif|instr|printf|total)\s*\(", "a SQLite-only function"),
        (r"\blast_insert_rowid\s*\(|\bchanges\s*\(\s*\)", "SQLite's row counters"),
        (r"\browid\b", "rowid"),
        (r"\bcollate\s+nocase\b", "COLLATE NOCASE"),
        (r"\bbegin\s+(immediate|exclusive|deferred)\b", "BEGIN IMMEDIATE (use transaction())"),
    )
)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


class DialectError(DutyDeskError):
    """A statement uses SQL the PostgreSQL dialect cannot translate."""

    code = "sql_dialect"


@dataclass(frozen=True)
class PgStatement:
    sql: str  # with $n placeholders
    names: tuple[str, ...] | None  # the parameter names of $1..$n, None when positional
    count: int  # how many placeholders

    def args(self, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        """The parameter values in $n order."""
        if self.names is None:
            if isinstance(params, Mapping):
                if params or self.count:
                    raise DialectError("this statement takes ? parameters, not names")
                return []
            values = list(params)
            if len(values) != self.count:
                raise DialectError(
                    f"the statement has {self.count} placeholders but {len(values)} values"
                )
            return values
        if not isinstance(params, Mapping):
            raise DialectError("this statement takes :name parameters, not a sequence")
        try:
            return [params[name] for name in self.names]
        except KeyError as missing:
            raise DialectError(f"no value for the parameter :{missing.args[0]}") from None

    def many(self, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> list[list[Any]]:
        return [self.args(row) for row in rows]


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> PgStatement:
    """The statement as PostgreSQL runs it; ``DialectError`` for SQLite-only SQL."""
    out: list[str] = []
    blanked: list[str] = []  # the statement with literals and comments blanked, for checks
    positional = 0
    names: list[str] = []
    index_of: dict[str, int] = {}
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = _closing(sql, i, ch)
            out.append(sql[i:end])
            blanked.append(" ")
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            positional += 1
            out.append(f"${positional}")
            blanked.append(" ? ")
            i += 1
        elif ch == ":" and sql.startswith("::", i):
            out.append("::")
            blanked.append("::")
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            match = _WORD.match(sql, i + 1)
            assert match is not None
            name = match.group()
            if name not in index_of:
                names.append(name)
                index_of[name] = len(names)
            out.append(f"${index_of[name]}")
            blanked.append(" ? ")
            i = match.end()
        elif ch.isalpha() or ch == "_":
            match = _WORD.match(sql, i)
            assert match is not None
            word = match.group()
            if word.lower() == "is":
                text, i = _is_comparison(sql, match.end())
                out.append(text)
                blanked.append(text)
                continue
            quoted = word.lower() in _QUOTED_WORDS and not _is_call(sql, match.end())
            if word.lower() == "like":  # SQLite's LIKE ignores case (ASCII): ILIKE
                word = "ILIKE"
            out.append(f'"{word.lower()}"' if quoted else word)
            blanked.append(word)
            i = match.end()
        else:
            out.append(ch)
            blanked.append(ch)
            i += 1
    if positional and names:
        raise DialectError("a statement mixes ? and :name parameters")
    checked = "".join(blanked)
    for pattern, what in _REFUSED:
        if pattern.search(checked):
            raise DialectError(
                f"SQLite-only SQL the PostgreSQL store cannot translate: {what} in: {_short(sql)}",
                construct=what,
            )
    if names:
        return PgStatement("".join(out), tuple(names), len(names))
    return PgStatement("".join(out), None, positional)


def _closing(sql: str, start: int, quote: str) -> int:
    """The index after the literal or quoted identifier that starts at ``start``."""
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:  # a doubled quote inside
                i += 2
                continue
            return i + 1
        i += 1
    raise DialectError(f"an unclosed {quote} in: {_short(sql)}")


_AFTER_IS = frozenset({"null", "true", "false", "distinct", "unknown"})


def _is_comparison(sql: str, end: int) -> tuple[str, int]:
    """SQLite's null-safe ``a IS b`` / ``a IS NOT b`` for a value ``b``: PostgreSQL spells
    them ``IS NOT DISTINCT FROM`` / ``IS DISTINCT FROM`` (``IS [NOT] NULL`` stays)."""
    first = _WORD.match(sql, end + len(sql[end:]) - len(sql[end:].lstrip()))
    negated = first is not None and first.group().lower() == "not"
    if negated:
        assert first is not None
        after = sql[first.end() :]
        second = _WORD.match(sql, first.end() + len(after) - len(after.lstrip()))
        if second is not None and second.group().lower() in _AFTER_IS:
            return "IS", end
        return "IS DISTINCT FROM", first.end()
    if first is not None and first.group().lower() in _AFTER_IS:
        return "IS", end
    return "IS NOT DISTINCT FROM", end


def _is_call(sql: str, end: int) -> bool:
    rest = sql[end:].lstrip()
    return rest.startswith("(")


def _short(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= 160 else flat[:157] + "..."
