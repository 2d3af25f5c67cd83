"""Backup and restore: online copies, checked before use, atomic swap, audited."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from data.accounts import Accounts, User
from data.audit import AuditTrail
from data.backup import BackupError, DroppedRows, backup, open_backup, restore
from data.crypto import KeyFileError, audit_key_path_for, ensure_audit_key
from data.roles import PermissionDenied
from data.store import CorruptDatabaseError, Store, StoreError, known_backups
from tests.conftest import ADMIN_PASSWORD


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(b"\x5a" * 4096 * 2)


async def _audit_actions(db_path: Path) -> list[str]:
    async with await Store.open(db_path) as store:
        return [e.action for e in await AuditTrail(store, "t").query(limit=1000)]


async def test_backup_then_restore_round_trip(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, db_path: Path
) -> None:
    dest = db_path.parent / "backups" / "monday.db"
    record = await backup(store, dest, audit, admin)
    assert record.path == dest and record.user_version == store.schema_version
    assert known_backups(db_path)[0].path == dest
    # Work done after the backup: lost by the restore, kept in the replaced file.
    await accounts.add(admin, "late", "Evening-op-1", "operator")
    await store.close()

    result = await restore(dest, db_path, user="admin", terminal="tty9", discard_newer=True)

    assert result.previous is not None and result.previous.name.startswith(
        "dutydesk.db.before-restore-"
    )
    async with await Store.open(db_path) as restored:
        names = [row[0] for row in await restored.fetchall("SELECT name FROM users")]
        assert names == ["admin"]
        trail = AuditTrail(restored, "t")
        assert (await trail.verify()).ok
        last = (await trail.query(limit=1))[0]
        assert (last.id, last.action, last.user, last.terminal) == (
            result.audit_id,
            "restore",
            "admin",
            "tty9",
        )
        assert last.detail["from"] == str(dest)
    async with await Store.open(result.previous) as previous:
        assert len(await previous.fetchall("SELECT name FROM users")) == 2
    # The backup itself was audited in the live database before the restore.
    assert "backup" in await _audit_actions(result.previous)


async def test_backup_is_one_checked_self_contained_file(
    store: Store, audit: AuditTrail, admin: User, tmp_path: Path
) -> None:
    dest = tmp_path / "usb" / "copy.db"
    await backup(store, dest, audit, admin)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["copy.db"]  # no -wal, no temp
    with sqlite3.connect(f"{dest.as_uri()}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT name FROM users").fetchall() == [("admin",)]
    entry = (await audit.query(action="backup"))[0]
    assert (entry.user, entry.object, entry.outcome) == ("admin", str(dest), "ok")


async def test_backup_does_not_overwrite_unless_asked(
    store: Store, audit: AuditTrail, tmp_path: Path
) -> None:
    dest = tmp_path / "b.db"
    dest.write_text("precious")
    with pytest.raises(BackupError) as caught:
        await backup(store, dest, audit)
    assert caught.value.code == "backup_exists"
    assert dest.read_text() == "precious"
    assert (await audit.query(action="backup"))[0].outcome == "failed"
    await backup(store, dest, audit, overwrite=True)
    with sqlite3.connect(dest) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_operator_may_not_back_up(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, tmp_path: Path
) -> None:
    operator = await accounts.add(admin, "op", "Op-pass-1", "operator")
    with pytest.raises(PermissionDenied):
        await backup(store, tmp_path / "b.db", audit, operator)
    assert not (tmp_path / "b.db").exists()
    assert (await audit.query(action="backup"))[0].outcome == "denied"


async def test_damaged_backup_is_refused_and_nothing_touched(
    store: Store, audit: AuditTrail, accounts: Accounts, admin: User, db_path: Path
) -> None:
    for n in range(300):  # enough pages that the damage lands inside table data
        await audit.record("admin", "fill", f"row:{n}", detail={"pad": "y" * 60})
    dest = db_path.parent / "backups" / "b.db"
    await backup(store, dest, audit, admin)
    await store.close()
    _damage(dest)
    before = {p.name: _digest(p) for p in db_path.parent.iterdir() if p.is_file()}

    with pytest.raises(BackupError) as caught:
        await restore(dest, db_path)

    assert caught.value.code == "backup_corrupt"
    after = {p.name: _digest(p) for p in db_path.parent.iterdir() if p.is_file()}
    assert after == before  # same files, same bytes: no before-restore copy, no temp left


async def test_foreign_and_too_new_backups_are_refused(
    store: Store, db_path: Path, tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError) as caught:
        await restore(foreign, db_path)
    assert caught.value.code == "backup_not_dutydesk"

    too_new = tmp_path / "too_new.db"
    await backup(store, too_new, AuditTrail(store, "t"))
    with sqlite3.connect(too_new) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(BackupError) as caught:
        await restore(too_new, db_path)
    assert caught.value.code == "backup_too_new"

    with pytest.raises(BackupError) as caught:
        await restore(tmp_path / "missing.db", db_path)
    assert caught.value.code == "backup_missing"
    assert not list(db_path.parent.glob("*before-restore*"))


async def test_restore_onto_a_fresh_location(
    store: Store, admin: User, tmp_path: Path, db_path: Path
) -> None:
    dest = tmp_path / "b.db"
    await backup(store, dest, AuditTrail(store, "t"), admin)
    target = tmp_path / "new-terminal" / "dutydesk.db"
    target.parent.mkdir()
    with pytest.raises(KeyFileError) as refused:  # the keyed trail moves with its key
        await restore(dest, target)
    assert refused.value.code == "audit_key_missing" and not target.exists()
    shutil.copy2(audit_key_path_for(db_path), audit_key_path_for(target))
    result = await restore(dest, target)
    assert result.previous is None
    async with await Store.open(target) as restored:
        accounts = Accounts(restored, AuditTrail(restored, "t"))
        assert (await accounts.authenticate("admin", ADMIN_PASSWORD)).name == "admin"


async def test_restorer_authenticates_against_the_backup_when_live_db_is_damaged(
    store: Store, audit: AuditTrail, admin: User, db_path: Path
) -> None:
    for n in range(300):
        await audit.record("admin", "fill", f"row:{n}", detail={"pad": "y" * 60})
    dest = db_path.parent / "backups" / "b.db"
    await backup(store, dest, audit, admin)
    await store.close()
    _damage(db_path)
    with pytest.raises(CorruptDatabaseError):
        await Store.open(db_path)
    untouched = _digest(dest)

    async with open_backup(dest) as copy:
        accounts = Accounts(copy, AuditTrail(copy, "t"))
        who = await accounts.authenticate("admin", ADMIN_PASSWORD)
    assert _digest(dest) == untouched  # the backup itself is never written
    # The damage may leave the live trail readable, and it then holds the backup's own
    # row, which the copy lacks: restoring over it is asked for explicitly.
    result = await restore(dest, db_path, user=who.name, discard_newer=True)
    assert result.previous is not None
    async with await Store.open(db_path) as restored:
        assert (await AuditTrail(restored, "t").verify()).ok


def test_backup_errors_are_store_errors() -> None:
    assert issubclass(BackupError, StoreError)  # one except clause covers both


async def test_restoring_an_older_backup_names_the_audit_rows_it_drops(
    store: Store, audit: AuditTrail, admin: User, db_path: Path
) -> None:
    """Issue 10 (e): the restore used to drop the live trail's newer rows silently, and
    verify said OK. Now it refuses unless asked, and the restore row names them."""
    kept = await audit.head()  # the backup's last row: its own row comes after the copy
    dest = db_path.parent / "backups" / "older.db"
    await backup(store, dest, audit, admin)
    for n in range(3):
        await audit.record("admin", "late.work", f"thing:{n}")
    live = await audit.head()
    assert kept is not None and live is not None
    await store.close()
    untouched = _digest(db_path)

    with pytest.raises(BackupError) as refused:
        await restore(dest, db_path, user="admin")
    dropped = DroppedRows(kept.id + 1, live.id, live.id - kept.id, live.hash)
    assert refused.value.code == "restore_drops_rows"
    assert refused.value.params == {
        "first_id": dropped.first_id,
        "last_id": dropped.last_id,
        "count": dropped.count,
    }
    assert _digest(db_path) == untouched
    assert not list(db_path.parent.glob("*.before-restore-*"))

    result = await restore(dest, db_path, user="admin", discard_newer=True)
    assert result.dropped == dropped
    async with await Store.open(db_path) as restored:
        trail = AuditTrail(restored, "t")
        row = (await trail.query(limit=1))[0]
        assert (row.id, row.action) == (kept.id + 1, "restore")
        assert row.detail["dropped_rows"] == {
            "first_id": kept.id + 1,
            "last_id": live.id,
            "count": 4,  # the backup's own row and the three after it
            "live_last_hash": live.hash,
        }
        assert row.detail["live_trail"] == {"last_id": live.id, "last_hash": live.hash}
        assert (await trail.verify()).ok
        assert not (await trail.verify(anchor=live)).ok  # the anchor sees what is gone


async def test_restoring_a_backup_at_least_as_long_drops_nothing(
    store: Store, audit: AuditTrail, admin: User, db_path: Path
) -> None:
    dest = db_path.parent / "backups" / "latest.db"
    await backup(store, dest, audit, admin)
    await store.close()
    with sqlite3.connect(db_path) as db:  # the live trail lost its last row (the backup's)
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
    result = await restore(dest, db_path, user="admin")
    assert result.dropped is None
    async with await Store.open(db_path) as restored:
        row = (await AuditTrail(restored, "t").query(limit=1))[0]
        assert row.action == "restore" and row.detail["dropped_rows"] is None


async def test_a_backup_whose_trail_does_not_verify_with_this_sites_key_is_refused(
    store: Store, admin: User, tmp_path: Path, db_path: Path
) -> None:
    """Another site's backup (its trail keyed with another key), or one whose trail was
    altered: restoring it would put a trail nobody can prove in place of this one."""
    dest = tmp_path / "b.db"
    await backup(store, dest, AuditTrail(store, "t"), admin)
    target = tmp_path / "other-site" / "dutydesk.db"
    target.parent.mkdir()
    ensure_audit_key(target)  # this site's own key, not the backup's
    with pytest.raises(BackupError) as refused:
        await restore(dest, target)
    assert refused.value.code == "restore_unverified_trail"
    assert "audit key" in str(refused.value)
    assert not target.exists() and not list(target.parent.glob("*restor*"))

    tampered = tmp_path / "tampered.db"
    shutil.copy2(dest, tampered)
    with sqlite3.connect(tampered) as db:  # behind the triggers, as an attacker would
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in triggers:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("UPDATE audit SET user = 'nobody' WHERE id = 2")
    shutil.copy2(audit_key_path_for(db_path), audit_key_path_for(target))
    with pytest.raises(BackupError) as refused:
        await restore(tampered, target)
    assert refused.value.code == "restore_unverified_trail" and "row 2" in str(refused.value)
    assert not target.exists()

    result = await restore(dest, target)  # the right key and an intact trail: restored
    assert result.previous is None
