"""Every file dutydesk writes is its user's only (0600, folders it creates 0700), whatever
umask it runs under; an existing store that others can read is named with the fix."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.logs import log_to_file
from data.audit import AuditTrail
from data.backup import backup, restore
from data.exports.document import Document, Section, Table
from data.paths import exposed_store_files, write_private
from data.store import Store
from tests.support.cli import ADMIN_PW, Cli, add_user

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def lax_umask() -> Iterator[None]:
    """The usual 022: files come out 0644 unless dutydesk asks for 0600 itself."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_the_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "new-folder" / "dutydesk.db"
    store = await Store.open(db)
    try:
        await store.set_meta("probe", "x")  # the WAL and SHM exist once something is written
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert {path.name: oct(mode(path)) for path in files} == dict.fromkeys(
            (path.name for path in files), "0o600"
        )
        assert mode(db.parent) == 0o700
    finally:
        await store.close()


async def test_backups_their_log_and_the_restored_files_are_0600(tmp_path: Path) -> None:
    db = tmp_path / "dutydesk.db"
    async with await Store.open(db) as store:
        record = await backup(store, tmp_path / "backups" / "monday.db", AuditTrail(store))
    assert mode(record.path) == 0o600
    assert mode(record.path.parent) == 0o700
    assert mode(tmp_path / "dutydesk.db.backups.json") == 0o600

    # restored over a store from before (0644): what restore keeps aside must not stay so
    target = tmp_path / "terminal" / "dutydesk.db"
    async with await Store.open(target):
        pass
    target.chmod(0o644)
    result = await restore(record.path, target, user="tester")
    assert result.previous is not None
    assert mode(result.previous) == 0o600
    assert mode(target) == 0o600
    for companion in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        if companion.exists():
            assert mode(companion) == 0o600, companion


def test_exports_are_0600(tmp_path: Path) -> None:
    from data.exports.pdf import to_pdf

    doc = Document("title", "site", [], [Section("s", table=Table(["a"], [["1"]]))])
    pdf = to_pdf(doc, tmp_path / "out.pdf")
    assert pdf is not None and mode(tmp_path / "out.pdf") == 0o600
    old = tmp_path / "old.csv"
    old.write_text("written before", encoding="utf-8")  # 0644 under this umask
    write_private(old, "a,b\r\n")
    assert mode(old) == 0o600 and old.read_bytes() == b"a,b\r\n"


def test_export_command_writes_0600(initialised: Cli) -> None:
    out = initialised.db.parent / "audit.csv"
    add_user(initialised, "shenji", "auditor", "Audit#2026")
    code, _, err = initialised(
        "export",
        "audit",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--out",
        str(out),
        "--user",
        "shenji",
        "--password-stdin",
        stdin="Audit#2026\n",
    )
    assert code == 0, err
    assert mode(out) == 0o600


def test_the_log_and_its_rotations_are_0600(tmp_path: Path) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    path = tmp_path / "log" / "dutydesk.log"
    try:
        log_to_file(path)
        logging.getLogger("dutydesk.test").info("first line")
        handler = root.handlers[0]
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.doRollover()
        logging.getLogger("dutydesk.test").info("after the rotation")
        handler.flush()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
    assert mode(path) == 0o600 and mode(Path(f"{path}.1")) == 0o600
    assert mode(path.parent) == 0o700


def test_init_through_the_real_entry_leaves_nothing_readable(tmp_path: Path) -> None:
    """The installed command (console.cli:entry) sets umask 077 before anything else."""
    site, db = tmp_path / "conf" / "site.yaml", tmp_path / "data" / "dutydesk.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "--site",
            str(site),
            "--db",
            str(db),
            "init",
            "--password-stdin",
        ],
        input=ADMIN_PW + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "LANG": "en_US.UTF-8"},
    )
    assert done.returncode == 0, done.stderr
    written = [p for p in tmp_path.rglob("*")]
    assert written, "init wrote nothing"
    loose = {str(p.relative_to(tmp_path)): oct(mode(p)) for p in written if mode(p) & 0o077}
    assert loose == {}


def test_init_names_a_store_others_can_read(initialised: Cli) -> None:
    initialised.db.chmod(0o644)
    assert exposed_store_files(initialised.db) == [(initialised.db, 0o644)]
    code, _, err = initialised("init", "--password-stdin", stdin=ADMIN_PW + "\n")
    assert code == 2  # init never overwrites: it says so, and what else is wrong
    assert f"{initialised.db} can be read by other users (mode 0644)" in err
    assert f"chmod 600 {initialised.db}" in err


async def test_a_database_reached_through_a_symlink_still_opens(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    async with await Store.open(real):
        pass
    link = tmp_path / "link.db"
    link.symlink_to(real)
    async with await Store.open(link) as store:
        assert await store.get_meta("app") == "dutydesk"
