"""The PostgreSQL store: the public API of ``data.store.Store`` over asyncpg.

``await PgStore.open(dsn, key_dir=...)`` connects, checks the database is ours (or empty),
and applies the PostgreSQL migrations (``data/migrations/postgresql/``) under an advisory
lock. Use is serialised on one connection by an ``asyncio.Lock``, as on SQLite:

- ``async with store.transaction() as db:`` is ``BEGIN`` plus a transaction-scoped advisory
  lock on the store, so one writing transaction runs at a time across every process on the
  database, as SQLite's ``BEGIN IMMEDIATE`` does; ``COMMIT`` (with ``NOTIFY
  dutydesk_change`` in the same round trip) or ``ROLLBACK`` on an exception. Nested, it is a
  SAVEPOINT. ``db`` offers ``execute``, ``execute_fetchall`` and ``executemany``.
- ``fetchall``/``fetchone`` read; ``write``/``write_many`` write, in the caller's
  transaction or in their own. Rows are asyncpg ``Record``s: by index and by column name.
- Every statement goes through ``data.sql_dialect`` (``?``/``:name`` to ``$n``; SQLite-only
  SQL refused with a ``DialectError``).
- ``data_version()`` replaces SQLite's ``PRAGMA data_version``: a count of the commits other
  sessions announced on ``dutydesk_change`` (LISTEN on a second connection);
  ``wait_changed(timeout)`` waits for the next one; ``listen(channel, callback)`` for others
  (``dutydesk_live``: the live feed's new head).

At open, after migrating, the store is checked as SQLite's ``integrity_check`` checks a
file: the session must keep every acknowledged commit (``synchronous_commit`` is set on for
our sessions; a server or pooler that leaves it off is refused), and the audit chain head
must be whole (``meta`` ``audit.head`` names the last row, which links to the row before it
and hashes as ``data.audit`` computes it: keyed when the audit key is at hand). A failure is
a ``CorruptDatabaseError`` (chain head) or a ``StoreError`` (``synchronous_commit``): one
line naming the store. Only the head is checked: ``dutydesk audit verify`` walks the rest.

Errors: a constraint (PostgreSQL class 23, which the audit triggers raise too) is a
``StoreIntegrityError``, also an ``sqlite3.IntegrityError`` so the books' handlers hold; a
lost connection or an unreachable server is a ``DatabaseFault`` naming the store by its
masked DSN, and so is a statement that outlives ``STATEMENT_TIMEOUT_S`` (the server cancels
it) or a server that does not answer within ``COMMAND_TIMEOUT_S`` (the connection is
dropped and opened again at the next use): a hung server is an error, not a hang. Text
holding a NUL character, which PostgreSQL cannot store, is refused before it is sent
(``NulInTextError``). A password never appears in a message: ``mask_dsn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import asyncpg

from data import audit
from data.crypto import KeyFileError, audit_key_path_for, load_key
from data.migrations import Migration, load_migrations
from data.paths import private_dir
from data.sql_dialect import DialectError, to_postgres
from data.store import (
    CorruptDatabaseError,
    DatabaseFault,
    InDoubtCommit,
    MetaRows,
    MigrationError,
    NotDutyDeskError,
    Params,
    SchemaTooNewError,
    StoreError,
    known_backups,
)

PG_MIGRATIONS = "data.migrations.postgresql"
CHANGE_CHANNEL = "dutydesk_change"
LIVE_CHANNEL = "dutydesk_live"
# pg_advisory_xact_lock(class, object): 'DUTY' as the class; one object per purpose.
_LOCK_CLASS = 0x44555459
_WRITER_LOCK = 1
_MIGRATION_LOCK = 2
CONNECT_TIMEOUT_S = 10.0
# The server cancels a statement of ours after this long (a lock wait included): a
# DatabaseFault, not a hang. Migrations at open are exempt (an index over a long history).
STATEMENT_TIMEOUT_S = 30.0
# A server that does not answer at all (hung, but its socket open) cannot cancel anything
# itself: after this long the client gives up, drops the connection and reports a fault.
COMMAND_TIMEOUT_S = STATEMENT_TIMEOUT_S + 5.0
# A lost connection is opened again at the next use, at most once per backoff step: the
# first at once, then after 0.25 s, doubling up to 5 s while the server stays away.
RECONNECT_FIRST_S = 0.25
RECONNECT_MAX_S = 5.0
# The listening connection only receives: a network that drops silently (a firewall that
# forgot the connection, a cable pulled two switches away) would leave it waiting forever
# for notifications that cannot come, and a console showing a frozen room as a quiet one.
# It is asked to answer every so often; one that does not is made again.
LISTENER_PROBE_EVERY_S = 5.0
LISTENER_PROBE_TIMEOUT_S = 5.0
CLOSE_TIMEOUT_S = 2.0
# Written by each write transaction just before its COMMIT: what settles a COMMIT whose
# answer is lost (migration 0014). Tokens older than a day are pruned now and then.
_WRITE_TOKEN = "INSERT INTO commit_tokens (token) VALUES ($1)"
_WRITE_TOKEN_AND_PRUNE = (
    "WITH pruned AS (DELETE FROM commit_tokens WHERE at < now() - interval '1 day')"
    " INSERT INTO commit_tokens (token) VALUES ($1)"
)
_PRUNE_TOKENS_EVERY = 1000
_PASSWORD_IN_URL = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)", re.IGNORECASE)
_PASSWORD_PARAM = re.compile(r"((?:^|[?&\s])password=)([^&\s]*)", re.IGNORECASE)


def is_dsn(target: str | Path) -> bool:
    return isinstance(target, str) and target.lower().startswith(("postgresql://", "postgres://"))


def mask_dsn(text: str) -> str:
    """``text`` with any password of a DSN in it replaced by ``***``."""
    text = _PASSWORD_IN_URL.sub(r"\1***\3", text)
    return _PASSWORD_PARAM.sub(r"\1***", text)


def _dsn_password(dsn: str) -> str | None:
    parts = urlsplit(dsn)
    if parts.password:
        return unquote(parts.password)
    match = _PASSWORD_PARAM.search(parts.query)
    return unquote(match.group(2)) if match else None


def store_file_stem(dsn: str) -> str:
    """A file name for a database: ``dbname_host_port.pg`` (its keys and logs sit beside it)."""
    parts = urlsplit(dsn)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    name = unquote(parts.path.lstrip("/")) or (parts.username or "postgres")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{name}_{host}_{port}")
    return safe + ".pg"


class StoreIntegrityError(StoreError, sqlite3.IntegrityError):
    """A constraint or a trigger refused the write (PostgreSQL SQLSTATE class 23)."""

    code = "integrity"


class NulInTextError(StoreError, ValueError):
    """Text with a NUL character: SQLite stores it, PostgreSQL's text cannot hold one."""

    code = "nul_in_text"


def _refuse_nul(args: Sequence[Any]) -> None:
    for position, value in enumerate(args, 1):
        if isinstance(value, str) and "\x00" in value:
            raise NulInTextError(
                f"text value {position} holds a NUL character (\\x00), which PostgreSQL"
                " cannot store: nothing was written",
                position=position,
            )


class PgConnection:
    """What a book calls on ``db`` inside ``transaction()``, as on an aiosqlite connection."""

    def __init__(self, store: PgStore) -> None:
        self._store = store

    @property
    def in_transaction(self) -> bool:
        return bool(self._store._conn.is_in_transaction())

    async def execute(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        return await self._store._run(sql, params)

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        return await self._store._run(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._store._run_many(sql, rows)


class PgStore(MetaRows):
    """One open PostgreSQL database. ``await PgStore.open(dsn)``; ``await close()`` it."""

    dialect = "postgresql"

    def __init__(
        self,
        dsn: str,
        conn: asyncpg.Connection,
        listener: asyncpg.Connection,
        schema_version: int,
        path: Path,
    ) -> None:
        self.label = mask_dsn(dsn)
        self._dsn = dsn
        self.path = path  # local: the audit and field keys and the backup log sit beside it
        self.schema_version = schema_version
        self._conn = conn
        self._listener = listener
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0
        self._version = 0
        self._seen_version = 0  # what the last data_version()/wait_changed() reported
        self._changed = asyncio.Event()
        self._db = PgConnection(self)
        self._closed = False
        # reconnecting: the channels listened to, when to try next, False while unreachable
        self._channels: list[tuple[str, Callable[..., None]]] = [(CHANGE_CHANNEL, self._on_change)]
        self._listen_lock = asyncio.Lock()
        self._retry_at = 0.0
        self._retry_delay = 0.0
        self.reachable = True
        # the listening connection's probe: when next, and how patient
        self._commits = 0  # write transactions committed: the token table is pruned by it
        self._probe_at = 0.0
        self.listener_probe_every = LISTENER_PROBE_EVERY_S
        self.listener_probe_timeout = LISTENER_PROBE_TIMEOUT_S

    def __str__(self) -> str:
        return self.label

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        key_dir: Path | str | None = None,
        migrations: Sequence[Migration] | None = None,
    ) -> PgStore:
        """Connect and migrate; ``SchemaTooNewError``, ``NotDutyDeskError``,
        ``MigrationError``, or a ``DatabaseFault`` when the server cannot be reached."""
        label = mask_dsn(dsn)
        folder = Path(key_dir) if key_dir is not None else _default_key_dir()
        private_dir(folder)
        conn = await _connect(dsn, label)
        try:
            listener = await _connect(dsn, label)
        except BaseException:
            await conn.close()
            raise
        local = folder / store_file_stem(dsn)
        try:
            await _check_durable(conn, label)
            chosen = load_migrations(PG_MIGRATIONS, gaps=True) if migrations is None else migrations
            version = await _migrate(conn, label, list(chosen))
            await _check_chain_head(conn, label, local)
        except BaseException:
            await conn.close()
            await listener.close()
            raise
        store = cls(dsn, conn, listener, version, local)
        await listener.add_listener(CHANGE_CHANNEL, store._on_change)
        return store

    async def close(self) -> None:
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            for conn in (self._listener, self._conn):
                # a polite goodbye, but not forever: on a silent network it never completes
                with contextlib.suppress(Exception):
                    await conn.close(timeout=CLOSE_TIMEOUT_S)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def db(self) -> PgConnection:
        """What ``transaction()`` yields: use it only inside one."""
        return self._db

    def owns_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        if self.owns_transaction():
            async with self._savepoint():
                yield self._db
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                with self._faults():
                    await self._ensure_connected()
                    with self._answered():
                        await self._conn.execute(
                            f"BEGIN; SELECT pg_advisory_xact_lock({_LOCK_CLASS}, {_WRITER_LOCK})",
                            timeout=COMMAND_TIMEOUT_S,
                        )
                    try:
                        yield self._db
                        await self._commit()
                    except BaseException:
                        if not self._conn.is_closed() and self._conn.is_in_transaction():
                            with self._answered():
                                await self._conn.execute("ROLLBACK", timeout=COMMAND_TIMEOUT_S)
                        raise
            finally:
                self._owner = None

    async def _commit(self) -> None:
        """COMMIT, with the transaction's token written first: when the answer is lost
        the fault says so (``in_doubt``) and the token settles it later."""
        token = secrets.token_hex(16)
        self._commits += 1
        prune = self._commits % _PRUNE_TOKENS_EVERY == 1  # the first, then every so often
        with self._answered():
            await self._conn.execute(
                _WRITE_TOKEN_AND_PRUNE if prune else _WRITE_TOKEN, token, timeout=COMMAND_TIMEOUT_S
            )
        session = self._conn.get_settings().application_name
        try:
            with self._faults(), self._answered():
                await self._conn.execute(
                    f"NOTIFY {CHANGE_CHANNEL}; COMMIT", timeout=COMMAND_TIMEOUT_S
                )
        except DatabaseFault as fault:
            raise _in_doubt(fault, _PgCommitInDoubt(self, token, session)) from fault

    async def settle(self, token: str, session: str) -> bool:
        """Whether the transaction that wrote ``token`` (its COMMIT's answer was lost)
        committed. Its session, when the server still has it (the COMMIT may never have
        arrived: the session then waits in its transaction, holding the writer lock), is
        ended first, so what the token says is final."""
        async with self._lock:
            with self._faults():
                await self._ensure_connected()
                with self._answered():
                    orphans = await self._conn.fetch(
                        "SELECT pg_terminate_backend(pid, $2) AS ended FROM pg_stat_activity"
                        " WHERE application_name = $1",
                        session,
                        int(COMMAND_TIMEOUT_S * 1000 / 2),
                        timeout=COMMAND_TIMEOUT_S,
                    )
                if not all(row["ended"] for row in orphans):
                    raise _fault(
                        self.label,
                        TimeoutError(),
                        f"the session of the write in doubt ({session}) did not end",
                    )
                with self._answered():
                    found = await self._conn.fetchval(
                        "SELECT 1 FROM commit_tokens WHERE token = $1",
                        token,
                        timeout=COMMAND_TIMEOUT_S,
                    )
                return found is not None

    @contextlib.asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[None]:
        self._depth += 1
        name = f"nested_{self._depth}"
        try:
            await self._conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}")
                raise
            await self._conn.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1

    @contextlib.contextmanager
    def _faults(self) -> Iterator[None]:
        try:
            yield
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise StoreIntegrityError(mask_dsn(str(exc)), sqlstate=exc.sqlstate) from exc
        except asyncpg.CharacterNotInRepertoireError as exc:  # a NUL the check did not see
            raise NulInTextError(
                f"a text value holds a NUL character (\\x00), which PostgreSQL cannot store:"
                f" nothing was written ({exc})"
            ) from exc
        except asyncpg.QueryCanceledError as exc:  # statement_timeout: the server is alive
            timed_out = "statement timeout" in str(exc)
            why = f"a statement ran longer than {STATEMENT_TIMEOUT_S:g} s and was cancelled"
            raise _fault(self.label, exc, why if timed_out else None) from exc
        except (
            OSError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,  # a connection killed while idle in a transaction
            asyncpg.PostgresError,
        ) as exc:
            lost = isinstance(
                exc, (OSError, asyncpg.PostgresConnectionError, asyncpg.InternalClientError)
            ) or (
                isinstance(exc, asyncpg.PostgresError)
                and str(exc.sqlstate or "").startswith(("08", "57P"))  # connection, shutdown
            )
            if not lost and not self._conn.is_closed():
                raise
            self.reachable = False
            if not self._conn.is_closed():
                self._conn.terminate()  # reopened at the next use
            raise _fault(self.label, exc) from exc

    @contextlib.contextmanager
    def _answered(self) -> Iterator[None]:
        """Around one call of the driver: no answer within ``COMMAND_TIMEOUT_S`` (a hung
        server or network) drops the connection, reopened at the next use."""
        try:
            yield
        except TimeoutError as exc:
            self.reachable = False
            if not self._conn.is_closed():
                self._conn.terminate()
            raise _fault(
                self.label, exc, f"the server did not answer within {COMMAND_TIMEOUT_S:g} s"
            ) from exc

    async def _ensure_connected(self) -> None:
        """Open the connection again if it was lost (the caller holds the store's lock);
        a ``DatabaseFault`` while the server stays away, tried again after a backoff."""
        if not self._conn.is_closed() or self._closed:
            return
        self._conn = await self._reopen()
        await self._ensure_listening()

    async def _reopen(self) -> asyncpg.Connection:
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            self.reachable = False
            raise _fault(self.label, ConnectionError("the connection was lost; retrying soon"))
        try:
            conn = await _connect(self._dsn, self.label)
        except DatabaseFault:
            self.reachable = False
            self._retry_delay = min(max(self._retry_delay * 2, RECONNECT_FIRST_S), RECONNECT_MAX_S)
            self._retry_at = loop.time() + self._retry_delay
            raise
        self._retry_delay = 0.0
        self._retry_at = 0.0
        self.reachable = True
        return conn

    async def _ensure_listening(self) -> None:
        """Listen again after the listening connection was lost (or stopped answering).
        Notifications sent meanwhile are gone, so the change signal moves: a console reads
        everything again."""
        if self._closed:
            return
        if not self._listener.is_closed():
            if asyncio.get_running_loop().time() < self._probe_at:
                return
            async with self._listen_lock:
                await self._probe_listener()
        if not self._listener.is_closed():
            return
        async with self._listen_lock:
            if not self._listener.is_closed():
                return
            listener = await self._reopen()
            try:
                for channel, callback in self._channels:
                    await listener.add_listener(channel, callback)
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError) as exc:
                listener.terminate()
                self.reachable = False
                raise _fault(self.label, exc) from exc
            self._listener = listener
            self._version += 1
            self._changed.set()

    async def _probe_listener(self) -> None:
        """Ask the listening connection to answer (every ``listener_probe_every`` s); one
        that does not within ``listener_probe_timeout`` s is dropped, to be made again."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._probe_at or self._listener.is_closed():
            return
        try:
            await self._listener.fetchval("SELECT 1", timeout=self.listener_probe_timeout)
        except (TimeoutError, OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
            self._listener.terminate()
        self._probe_at = loop.time() + self.listener_probe_every

    async def _run(self, sql: str, params: Params) -> list[asyncpg.Record]:
        statement = to_postgres(sql)
        args = statement.args(params)
        _refuse_nul(args)
        with self._faults(), self._answered():
            return list(await self._conn.fetch(statement.sql, *args, timeout=COMMAND_TIMEOUT_S))

    async def _run_many(self, sql: str, rows: Iterable[Params]) -> None:
        statement = to_postgres(sql)
        batch = statement.many(rows)
        if batch:
            with self._faults(), self._answered():
                await self._conn.executemany(statement.sql, batch, timeout=COMMAND_TIMEOUT_S)

    async def fetchall(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        if self.owns_transaction():
            return await self._run(sql, params)
        async with self._lock:
            with self._faults():
                await self._ensure_connected()
            return await self._run(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def write(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        """One statement (its ``RETURNING`` rows come back); joins the caller's transaction,
        else runs in its own (taking the store's writer lock, like every write)."""
        if self.owns_transaction():
            return await self._run(sql, params)
        async with self.transaction():
            return await self._run(sql, params)

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction():
            await self._run_many(sql, rows)

    async def data_version(self) -> int:
        """A number that grows when another session commits a write to the database (its
        NOTIFY on ``dutydesk_change``); this store's own writes do not move it. After the
        listening connection was lost it listens again (a ``DatabaseFault`` while the server
        is away) and the number moves, since what was sent meanwhile is lost."""
        await self._ensure_listening()
        self._seen_version = self._version
        return self._version

    async def wait_changed(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for another session's commit; True when one came since
        the last ``data_version()`` or ``wait_changed()`` (at once when it came before this
        call: a notification that arrived between a read and the wait is not lost)."""
        await self._ensure_listening()
        if self._version == self._seen_version:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout)
            except TimeoutError:
                return False
        self._seen_version = self._version
        return True

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call ``callback(payload)`` for each NOTIFY on ``channel`` (``dutydesk_live``...)."""

        def deliver(_conn: object, _pid: int, _channel: str, payload: object) -> None:
            callback(str(payload))

        self._channels.append((channel, deliver))
        await self._listener.add_listener(channel, deliver)

    def _on_change(self, _conn: object, pid: int, _channel: str, _payload: object) -> None:
        if pid != self._conn.get_server_pid():
            self._version += 1
            self._changed.set()

    async def ensure_function(self, name: str, nargs: int, func: Callable[..., Any]) -> None:
        """SQL functions written in Python exist only on SQLite: compute in Python instead."""
        raise DialectError(
            f"the SQL function {name}() is SQLite-only: the PostgreSQL store cannot run Python"
            " inside a statement",
            construct=name,
        )


def _default_key_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("dutydesk")) / "postgresql"


@dataclass(frozen=True)
class _PgCommitInDoubt:
    store: PgStore
    token: str
    session: str  # the lost connection's application_name, unique to it

    async def committed(self) -> bool:
        return await self.store.settle(self.token, self.session)


def _in_doubt(fault: DatabaseFault, doubt: InDoubtCommit) -> DatabaseFault:
    detail = str(fault.params.get("detail", ""))
    text = (
        f"The database {fault.params.get('path')} stopped answering while a change was being"
        f" saved ({detail}): the change may have been saved"
    )
    in_doubt = DatabaseFault(
        text, code="db_commit_unknown", path=fault.params.get("path"), detail=detail
    )
    in_doubt.sqlite_errorcode = -1
    in_doubt.sqlite_errorname = ""
    in_doubt.in_doubt = doubt
    return in_doubt


def _fault(label: str, exc: BaseException, detail: str | None = None) -> DatabaseFault:
    detail = mask_dsn(detail or str(exc) or type(exc).__name__)
    text = f"The database {label} cannot be reached: {detail}"
    fault = DatabaseFault(text, code="db_unreachable", path=label, detail=detail)
    fault.sqlite_errorcode = -1
    fault.sqlite_errorname = ""
    return fault


async def _connect(dsn: str, label: str) -> asyncpg.Connection:
    """A connection with every acknowledged commit durable (``synchronous_commit`` on) and
    a statement timeout (``STATEMENT_TIMEOUT_S``)."""
    settings = {
        "synchronous_commit": "on",
        "statement_timeout": f"{int(STATEMENT_TIMEOUT_S * 1000)}",
        # unique per connection: a write in doubt finds its session by it (``settle``)
        "application_name": f"dutydesk/{secrets.token_hex(6)}",
    }
    try:
        conn: asyncpg.Connection = await asyncpg.connect(
            dsn, timeout=CONNECT_TIMEOUT_S, server_settings=settings
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        fault = _fault(label, exc)
        password = _dsn_password(dsn)
        if password and password in str(fault):  # never, but make sure
            raise StoreError(f"The database {label} cannot be reached") from None
        raise fault from None
    return conn


async def _migrate(conn: asyncpg.Connection, label: str, migrations: list[Migration]) -> int:
    """Apply the dialect's migrations not applied yet, in number order, each in its own
    transaction; the schema version is the highest applied (``meta`` ``schema_version``).
    While the PostgreSQL files are being ported the numbers may have gaps: a file ported
    later is applied when it arrives, so every file is applied exactly once."""
    latest = migrations[-1].version if migrations else 0
    async with conn.transaction():
        await conn.execute("SET LOCAL statement_timeout = 0")  # an index over a long history
        await conn.execute(f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, {_MIGRATION_LOCK})")
        applied = await _applied(conn, label)
        current = max(applied, default=0)
        if current > latest:
            raise SchemaTooNewError(
                f"{label} has schema version {current}, but this dutydesk knows only up to "
                f"{latest}: run the newer dutydesk that wrote it",
                found=current,
                supported=latest,
            )
        for migration in migrations:
            if migration.version in applied:
                continue
            try:
                async with conn.transaction():  # a savepoint: one migration at a time
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
                    current = max(current, migration.version)
                    await conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema_version', $1)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        str(current),
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(
                    f"migration {migration.label} failed and was rolled back ({exc}); "
                    f"{label} stays at schema version {max(applied, default=0)}",
                    migration=migration.label,
                ) from exc
            applied.add(migration.version)
    return current


async def _applied(conn: asyncpg.Connection, label: str) -> set[int]:
    """The migrations applied to the database; refuses a database that is not ours."""
    tables = {
        str(row["table_name"])
        for row in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    if not tables:
        await conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        return set()
    if "schema_migrations" not in tables or "meta" not in tables:
        raise NotDutyDeskError(f"{label} is a PostgreSQL database but not a dutydesk one")
    app = await conn.fetchval("SELECT value FROM meta WHERE key = 'app'")
    if app != "dutydesk":
        raise NotDutyDeskError(f"{label} is a PostgreSQL database but not a dutydesk one")
    return {
        int(row["version"]) for row in await conn.fetch("SELECT version FROM schema_migrations")
    }


async def _check_durable(conn: asyncpg.Connection, label: str) -> None:
    """Refuse a session that would acknowledge a commit before it is on disk: our sessions
    ask for ``synchronous_commit`` on, but a pooler may not pass it on."""
    setting = str(await conn.fetchval("SHOW synchronous_commit"))
    if setting == "off":
        raise StoreError(
            f"The database {label} was not opened: its session runs with synchronous_commit"
            " off, so a write could be acknowledged and then lost; connect to the server"
            " directly or have the DBA allow synchronous_commit on",
            code="not_durable",
            path=label,
        )


# The chain head as one row: what meta records, the last row, and the hash of the row
# before it (an index lookup each, whatever the trail's length).
_CHAIN_HEAD = """
SELECT (SELECT value FROM meta WHERE key = 'audit.head') AS recorded,
       (SELECT value FROM meta WHERE key = 'audit.genesis') AS genesis,
       (SELECT hash FROM audit WHERE id = last.id - 1) AS before_hash,
       last.*
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT * FROM audit ORDER BY id DESC LIMIT 1) AS last ON true
"""


_HASHED = ("prev_hash", "id", "ts", "user", "terminal", "action", "object", "outcome", "detail")


async def _check_chain_head(conn: asyncpg.Connection, label: str, local: Path) -> None:
    """The audit chain's head at open: meta ``audit.head`` names the last row, which links
    to the row before it and hashes as ``data.audit`` computes it (keyed from the genesis
    row on, when the audit key is beside ``local``; without it the key is asked for at the
    first append). A ``CorruptDatabaseError`` naming the store otherwise."""
    row = await conn.fetchrow(_CHAIN_HEAD)
    if row is None:
        return
    problem = _chain_head_problem(row, local)
    if problem is None:
        return
    backups = known_backups(local)
    advice = (
        f" The newest known backup is {backups[0].path}: restore it into a fresh database."
        if backups
        else " Restore a backup into a fresh database."
    )
    raise CorruptDatabaseError(
        f"The database {label} failed its check at open and was not opened: {problem}."
        f" Run dutydesk audit verify for the whole chain.{advice}",
        path=label,
        problems=[problem],
        newest_backup=str(backups[0].path) if backups else None,
    )


def _chain_head_problem(row: asyncpg.Record, local: Path) -> str | None:
    recorded, marker = row["recorded"], row["genesis"]
    if row["id"] is None:
        if recorded is not None or marker not in (None, audit.GENESIS_PENDING):
            return "the audit trail is empty but its head or genesis record names rows"
        return None
    last_id, last_hash = int(row["id"]), str(row["hash"])
    if recorded is None:
        return "the audit chain head record (meta audit.head) is missing"
    try:
        head = json.loads(recorded)
        head_id, head_hash = int(head["id"]), str(head["hash"])
    except (ValueError, TypeError, KeyError):
        return "the audit chain head record (meta audit.head) cannot be read"
    if head_id > last_id:
        return f"audit rows {last_id + 1}..{head_id} were deleted from the end of the trail"
    if head_id != last_id or head_hash != last_hash:
        return f"the last audit row {last_id} does not match the recorded chain head"
    before = audit.GENESIS_HASH if last_id == 1 else row["before_hash"]
    if before is None:
        return f"audit row {last_id - 1} is missing"
    if row["prev_hash"] != before:
        return f"the last audit row {last_id} does not link to row {last_id - 1}"
    genesis_id = None if marker in (None, audit.GENESIS_PENDING) else str(marker)
    if genesis_id is not None and not (genesis_id.isdigit() and 0 < int(genesis_id) <= last_id):
        return f"the audit genesis row {genesis_id} is missing"
    key = None
    if genesis_id is not None:
        try:
            key = load_key(audit_key_path_for(local))
        except KeyFileError:
            return None  # the link holds; the key is asked for when the trail is used
    fields = [row[name] for name in _HASHED]
    digest = audit.row_hash(*fields) if key is None else audit.keyed_row_hash(key, *fields)
    if digest != last_hash:
        keyed = ", or written without this database's audit key" if key else ""
        return f"the last audit row {last_id} was changed after it was written{keyed}"
    return None
