"""Faults of the database file or the disk under it end in one line naming the file and the
cause (exit 2 on the command line), never in a traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import data.store
from data.store import DatabaseFault, Store
from tests.support.cli import ADMIN_PW, Cli

ROOT = Path(__file__).resolve().parents[2]


def _without_root_override() -> list[str]:
    """A command prefix that makes file permissions hold even for root (whom they never
    stop): setpriv drops the capabilities that override them. Empty when not root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only file cannot be made")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _traceback_free_one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    return lines[0]


def test_a_read_only_database_is_one_line_and_exit_2(initialised: Cli) -> None:
    initialised.db.chmod(0o400)
    for companion in ("-wal", "-shm"):
        Path(f"{initialised.db}{companion}").unlink(missing_ok=True)  # closed cleanly: none
    done = subprocess.run(
        [
            *_without_root_override(),
            sys.executable,
            "-m",
            "console",
            "--site",
            str(initialised.site),
            "--db",
            str(initialised.db),
            "user",
            "list",
            "--user",
            "admin",
            "--password-stdin",
        ],
        input=ADMIN_PW + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "LANG": "en_US.UTF-8"},
    )
    assert done.returncode == 2, done.stderr
    line = _traceback_free_one_line(done.stderr)
    assert line.startswith(f"dutydesk: The database {initialised.db} cannot be written")
    assert "read-only" in line and "Permission denied" in line


def test_a_lock_held_too_long_is_one_line_and_exit_2(
    initialised: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data.store, "BUSY_TIMEOUT_MS", 200)
    with contextlib.closing(sqlite3.connect(initialised.db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        code, _, err = initialised(
            "user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
        )
        other.execute("ROLLBACK")
    assert code == 2
    line = _traceback_free_one_line(err)
    assert line == (
        f"dutydesk: The database {initialised.db} is locked: another program has held its"
        " lock for more than 0.2 s (database is locked). Try again when it has finished."
    )


def test_a_folder_where_the_database_should_be_says_so(initialised: Cli) -> None:
    initialised.db = initialised.db.with_name("folder.db")
    initialised.db.mkdir()
    code, _, err = initialised(
        "user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 2
    line = _traceback_free_one_line(err)
    assert line == (
        f"dutydesk: The database {initialised.db} cannot be opened: {initialised.db}:"
        " Is a directory"
    )


def test_a_file_where_the_folder_should_be_says_so(initialised: Cli, tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    initialised.db = tmp_path / "data" / "dutydesk.db"
    code, _, err = initialised(
        "user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 2
    line = _traceback_free_one_line(err)
    assert line.endswith(f"cannot be opened: {tmp_path / 'data'}: Not a directory")


async def test_a_full_disk_is_a_fault_naming_the_file(store: Store, db_path: Path) -> None:
    pages = (await store.fetchone("PRAGMA page_count"))[0]  # type: ignore[index]
    await store.fetchall(f"PRAGMA max_page_count = {pages}")  # the disk has no more room
    with pytest.raises(DatabaseFault) as fault:
        async with store.transaction() as db:
            await db.execute("CREATE TABLE filler (x)")
            await db.executemany("INSERT INTO filler VALUES (?)", [("x" * 4000,)] * 50)
    assert fault.value.code == "db_full"
    assert str(fault.value).startswith(
        f"The database {db_path} cannot be written: the disk is full"
    )
    assert isinstance(fault.value, sqlite3.OperationalError)  # SQLite's handlers still apply
    assert not store.db.in_transaction  # rolled back: the store goes on
    assert await store.get_meta("app") == "dutydesk"
