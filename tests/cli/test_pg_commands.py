"""The command line over a PostgreSQL DSN on the private server (tests.support.postgres):
``--db postgresql://...`` and ``DUTYDESK_DB`` for init, user add, audit verify and export,
and ``dutydesk migrate --from sqlite:PATH --to postgresql://...`` of a seeded store."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from data.crypto import audit_key_path_for, key_path_for
from data.stores import local_path
from tests.support.cli import ADMIN_PW, Cli, add_user, initialise
from tests.support.inspections import seed_live_values
from tests.support.postgres import PgServer
from tests.support.seed import seed_db


@pytest.fixture
def pg_cli(cli: Cli, pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``cli`` with ``--db`` a fresh database's DSN; key files under a private XDG folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    cli.db = pg_dsn  # type: ignore[assignment]  # Cli passes str(self.db)
    return cli


def test_init_user_add_audit_verify_and_export_over_a_dsn(
    pg_cli: Cli, pg_dsn: str, tmp_path: Path, fast_scrypt: None
) -> None:
    initialise(pg_cli)
    base = local_path(pg_dsn)
    assert base.parent == tmp_path / "xdg" / "dutydesk" / "postgresql"
    for key in (audit_key_path_for(base), key_path_for(base)):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    add_user(pg_cli, "zhangsan", "operator", "Op3rator#pass")
    add_user(pg_cli, "qianqi", "auditor", "Aud1tor#pass")
    code, out, err = pg_cli("audit", "verify")
    assert code == 0, err
    assert "audit chain OK" in out
    out_file = tmp_path / "audit.csv"
    code, _, err = pg_cli(
        "export",
        "audit",
        "--from",
        "2000-01-01",
        "--to",
        "2100-01-01",
        "--format",
        "csv",
        "--out",
        str(out_file),
        "--user",
        "qianqi",
        "--password-stdin",
        stdin="Aud1tor#pass\n",
    )
    assert code == 0, err
    text = out_file.read_text("utf-8")
    assert "zhangsan" in text


def test_dutydesk_db_may_hold_the_dsn(
    pg_cli: Cli, pg_dsn: str, monkeypatch: pytest.MonkeyPatch, fast_scrypt: None
) -> None:
    initialise(pg_cli)
    monkeypatch.setenv("DUTYDESK_DB", pg_dsn)
    from console.cli import main

    assert main(["--site", str(pg_cli.site), "audit", "verify"]) == 0
    out, _ = pg_cli.capsys.readouterr()
    assert "audit chain OK" in out


def test_a_password_in_the_dsn_is_never_printed(
    cli: Cli, postgres_server: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    initialise_site_only(cli, tmp_path)
    # a port nobody listens on: the failure names the store by its masked DSN
    cli.db = "postgresql://duty:Sekr3t-pw@127.0.0.1:1/nothing"  # type: ignore[assignment]
    code, out, err = cli("audit", "verify")
    assert code == 2
    assert "Sekr3t-pw" not in out + err
    assert "***" in err


def test_migrate_copies_a_seeded_sqlite_store_and_the_chain_verifies(
    cli: Cli, pg_cli: Cli, pg_dsn: str, tmp_path: Path, fast_scrypt: None
) -> None:
    sqlite_db = tmp_path / "old" / "dutydesk.db"
    sqlite_db.parent.mkdir()
    import asyncio

    from data.crypto import ensure_audit_key, ensure_key

    ensure_audit_key(sqlite_db)
    ensure_key(sqlite_db)
    asyncio.run(seed_db(sqlite_db, [seed_live_values]))  # accounts, audit, check rows
    code, out, err = cli("migrate", "--from", f"sqlite:{sqlite_db}", "--to", pg_dsn)
    assert code == 0, err
    with contextlib.closing(sqlite3.connect(sqlite_db)) as db:
        users, audit = (
            db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("users", "audit")
        )
    assert f"users: {users} rows" in out
    assert f"audit: {audit} rows" in out
    assert "check_latest: 3 rows" in out
    assert "audit chain OK" in out
    base = local_path(pg_dsn)
    assert audit_key_path_for(base).read_bytes() == audit_key_path_for(sqlite_db).read_bytes()
    # the copy is a working store: log in, add a user (ids go on past the copied ones)
    pg_cli.site.write_text("", encoding="utf-8")  # replaced by a real site below
    initialise_site_only(pg_cli, tmp_path)
    add_user(pg_cli, "zhaoliu", "operator", "Op3rator#pass")
    names, _ = asyncio.run(_names_and_actions(pg_dsn))
    assert names[-1] == "zhaoliu" and len(names) == users + 1  # the identity went on
    code, out, err = pg_cli("audit", "verify")
    assert code == 0, err
    # a second migrate into the same (now not empty) database is refused
    code, _, err = cli("migrate", "--from", f"sqlite:{sqlite_db}", "--to", pg_dsn)
    assert code == 2
    assert "not empty" in err


def initialise_site_only(cli: Cli, tmp_path: Path) -> None:
    """A site.yaml for ``cli`` without touching its database (``init`` refuses a store
    that already has an admin): the template, in English."""
    from data.config import site_template

    cli.site.write_text(site_template().replace("language: zh_CN", "language: en"), "utf-8")


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("/tmp/x.db", "postgresql://u@127.0.0.1:1/x"),
        ("sqlite:", "postgresql://u@127.0.0.1:1/x"),
        ("sqlite:/nonexistent/x.db", "/tmp/not-a-dsn"),
    ],
)
def test_migrate_refuses_bad_input_with_exit_2(cli: Cli, source: str, target: str) -> None:
    code, _, err = cli("migrate", "--from", source, "--to", target)
    assert code == 2
    assert "dutydesk:" in err


def test_migrate_of_a_missing_file_exits_2(cli: Cli, pg_dsn: str, tmp_path: Path) -> None:
    code, _, err = cli("migrate", "--from", f"sqlite:{tmp_path / 'none.db'}", "--to", pg_dsn)
    assert code == 2
    assert "none.db" in err


@pytest.fixture
def second_dsn(postgres_server: PgServer) -> Iterator[str]:
    """Another fresh database on the private server (the restore's target)."""
    name = f"restored_{os.getpid()}_{id(postgres_server) % 10_000}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_server.dsn())
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"))
    yield postgres_server.dsn(name)
    asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_backup_then_restore_into_a_fresh_database(
    pg_cli: Cli, pg_dsn: str, second_dsn: str, tmp_path: Path, fast_scrypt: None
) -> None:
    initialise(pg_cli)
    add_user(pg_cli, "zhangsan", "operator", "Op3rator#pass")
    dump = tmp_path / "backups" / "monday.dump"
    login = ("--user", "admin", "--password-stdin")
    code, out, err = pg_cli("backup", str(dump), *login, stdin=ADMIN_PW + "\n")
    assert code == 0, err
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    # the same file again is refused, the first dump untouched
    code, _, err = pg_cli("backup", str(dump), *login, stdin=ADMIN_PW + "\n")
    assert code == 2 and "already exists" in err

    # without the audit key beside the new database's local name: refused, nothing loaded
    pg_cli.db = second_dsn  # type: ignore[assignment]
    code, _, err = pg_cli("restore", str(dump), *login, stdin=ADMIN_PW + "\n")
    assert code == 2, err
    source, target = local_path(pg_dsn), local_path(second_dsn)
    for key_of in (audit_key_path_for, key_path_for):
        shutil.copyfile(key_of(source), key_of(target))
        key_of(target).chmod(0o600)
    # a wrong password: not the restorer, and the database is left fresh again
    code, _, err = pg_cli("restore", str(dump), *login, stdin="wrong-Pass#1\n")
    assert code == 2
    assert asyncio.run(_table_count(second_dsn)) == 0
    code, out, err = pg_cli("restore", str(dump), *login, stdin=ADMIN_PW + "\n")
    assert code == 0, err
    assert "restored" in out
    code, out, err = pg_cli("audit", "verify")
    assert code == 0, err
    users, actions = asyncio.run(_names_and_actions(second_dsn))
    assert users == ["admin", "zhangsan"]
    assert actions[-1] == "restore" and "backup" not in actions  # the dump predates its row
    # a database that is not fresh is never restored over
    code, _, err = pg_cli("restore", str(dump), *login, stdin=ADMIN_PW + "\n")
    assert code == 2
    assert "not a fresh database" in err


async def _names_and_actions(dsn: str) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT id, name FROM users ORDER BY id")
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # ids kept, no gap
        users = [r[1] for r in rows]
        actions = [r[0] for r in await conn.fetch("SELECT action FROM audit ORDER BY id")]
    finally:
        await conn.close()
    return users, actions


def test_an_env_reference_in_the_dsn_is_filled_in_and_never_printed(
    pg_cli: Cli, pg_dsn: str, monkeypatch: pytest.MonkeyPatch, fast_scrypt: None
) -> None:
    initialise(pg_cli)
    with_ref = pg_dsn.replace("postgres@", "postgres:${DUTYDESK_TEST_PW}@", 1)
    pg_cli.db = with_ref  # type: ignore[assignment]
    code, _, err = pg_cli("audit", "verify")
    assert code == 2
    assert "DUTYDESK_TEST_PW" in err  # unset: named, refused
    monkeypatch.setenv("DUTYDESK_TEST_PW", "Sekr3t/pw")  # trust on loopback: any password
    code, out, err = pg_cli("audit", "verify")
    assert code == 0, err
    assert "Sekr3t" not in out + err


def test_migrate_of_the_demo_store_copies_every_book_and_they_read_back(
    cli: Cli, pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo seeds every book (sealed inspections, timelines, rosters, plans, assets):
    the whole history copies, the chain verifies, and the books read it over the DSN."""
    from demo import setup

    demo_pw = dict((n, p) for n, p, _ in setup.DEMO_ACCOUNTS)["wangwu"] + "\n"

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    demo_db = tmp_path / "demo" / "demo.db"
    prepared = asyncio.run(setup.prepare(None, demo_db))
    code, out, err = cli("migrate", "--from", f"sqlite:{demo_db}", "--to", pg_dsn)
    assert code == 0, err
    with contextlib.closing(sqlite3.connect(demo_db)) as db:
        for table in ("inspection_answers", "incident_entries", "plan_run_steps", "assets"):
            rows = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert rows > 0 and f"{table}: {rows} rows" in out
    cli.site = prepared.site_path
    cli.db = pg_dsn  # type: ignore[assignment]
    code, out, err = cli("audit", "verify")
    assert code == 0, err
    report = tmp_path / "report.md"
    login = ("--user", "wangwu", "--password-stdin")  # a demo supervisor
    code, _, err = cli("report", "--format", "md", "--out", str(report), *login, stdin=demo_pw)
    assert code == 0, err
    assert report.stat().st_size > 0


async def _table_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await conn.close()
    return int(found)


def test_the_demo_seeds_a_dsn_again_and_again_but_never_another_database(
    pg_cli: Cli, pg_dsn: str, second_dsn: str, tmp_path: Path, fast_scrypt: None
) -> None:
    """``dutydesk demo --db postgresql://...``'s setup: every book seeded over the DSN,
    recreated by the next demo; a database the demo did not make is refused untouched."""
    from demo import setup
    from demo.errors import DemoRefused

    site = tmp_path / "demo-site" / "site.yaml"
    prepared = asyncio.run(setup.prepare(site, pg_dsn))
    assert prepared.db_path == pg_dsn
    first_users, first_actions = asyncio.run(_names_and_actions(pg_dsn))
    assert len(first_users) == len(setup.DEMO_ACCOUNTS) and len(first_actions) > 100
    asyncio.run(setup.prepare(site, pg_dsn))  # again: recreated, not appended to
    users, actions = asyncio.run(_names_and_actions(pg_dsn))
    assert users == first_users and len(actions) < 2 * len(first_actions)
    pg_cli.site = prepared.site_path
    code, _, err = pg_cli("audit", "verify")
    assert code == 0, err

    pg_cli.site = tmp_path / "site.yaml"
    pg_cli.db = second_dsn  # type: ignore[assignment]
    initialise(pg_cli)  # a real room's database
    with pytest.raises(DemoRefused):
        asyncio.run(setup.prepare(site, second_dsn))
    assert asyncio.run(_names_and_actions(second_dsn))[0] == ["admin"]
