"""site.yaml changes are audited at start: ``site.changed`` names the changed key paths,
never a value, and a secret only by its key path."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from data.audit import AuditEntry, AuditTrail
from data.config import load_site
from data.crypto import ensure_key
from data.desk import open_desk
from data.site_history import META_KEY
from data.store import Store
from tests.support.cli import Cli

SITE = """\
site:
  name: 测试机房
  shifts:
    - {name: 白班, start: "08:30", end: "17:30"}
    - {name: 夜班, start: "17:30", end: "08:30"}
credentials:
  legacy:
    snmp: {version: "2c", community: old-community-1}
  env:
    snmp: {version: "2c", community: "${COMMUNITY}"}
zones:
  - {id: ext, name: 外网}
devices:
  - id: sw-1
    name: 交换机
    kind: switch
    zone: ext
    host: 127.0.0.1
    checks:
      - {id: up, type: snmp, credential: legacy, port: 9161, profile: system}
  - id: sw-2
    name: 交换机2
    kind: switch
    zone: ext
    host: 127.0.0.2
"""
ENV = {"COMMUNITY": "env-community-1"}


async def start(site_file: Path, db: Path, env: dict[str, str] = ENV) -> list[AuditEntry]:
    """Open the desk as the console does at start; the site.changed rows so far."""
    desk = await open_desk(load_site(site_file, env=env), db)
    try:
        return await desk.audit.query(action="site.changed")
    finally:
        await desk.close()


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    return path


async def test_a_changed_site_file_is_audited_with_its_key_paths(
    site_file: Path, db_path: Path
) -> None:
    assert await start(site_file, db_path) == []  # the first file is only remembered
    ensure_key(db_path)
    assert await start(site_file, db_path) == []  # unchanged
    site_file.write_text(
        SITE.replace("host: 127.0.0.2", "host: 127.0.0.3")
        .replace("old-community-1", "new-community-2")
        .replace("port: 9161", "port: 9162, interval: 30")
        .replace("    host: 127.0.0.1\n", "    host: 127.0.0.1\n    depends_on: [sw-2]\n"),
        encoding="utf-8",
    )
    # the file holds only the reference: another value in the environment is no change
    [row] = await start(site_file, db_path, env={"COMMUNITY": "another-value"})
    assert row.user is None and row.object == str(site_file)
    assert row.detail["changed"] == [
        "credentials.legacy.snmp.community",
        "devices[sw-1].checks[up].interval",
        "devices[sw-1].checks[up].port",
        "devices[sw-1].depends_on[0]",
        "devices[sw-2].host",
    ]
    assert row.detail["changed_count"] == 5
    assert row.detail["previous_sha256"] != row.detail["sha256"]
    text = str(row.detail)
    for value in ("old-community-1", "new-community-2", "127.0.0.3", "9162", "another-value"):
        assert value not in text
    assert len(await start(site_file, db_path)) == 1  # recorded once, not at every start


async def test_without_the_store_key_a_secret_change_is_seen_by_the_file_hash(
    site_file: Path, db_path: Path
) -> None:
    await start(site_file, db_path)
    site_file.write_text(SITE.replace("old-community-1", "new-community-2"), encoding="utf-8")
    [row] = await start(site_file, db_path)
    assert row.detail["changed"] == [] and row.detail["changed_count"] == 0
    assert row.detail["previous_sha256"] != row.detail["sha256"]


async def test_the_store_keeps_no_value_of_the_site(site_file: Path, db_path: Path) -> None:
    ensure_key(db_path)
    await start(site_file, db_path)
    desk = await open_desk(load_site(site_file, env=ENV), db_path)
    try:
        stored = await desk.store.get_meta(META_KEY)
    finally:
        await desk.close()
    assert stored is not None
    raw = db_path.read_bytes()
    for value in (b"old-community-1", "交换机".encode(), b"127.0.0.2", b"env-community"):
        assert value not in raw


def test_dutydesk_check_records_a_changed_site_file(initialised: Cli) -> None:
    # initialise() switched the template's language to English after init had started
    assert initialised("check", "--once")[0] == 0
    assert initialised("check", "--once")[0] == 0
    rows = asyncio.run(site_changes(initialised.db))
    assert [row.detail["changed"] for row in rows] == [["site.language"]]


async def site_changes(db: Path) -> list[AuditEntry]:
    """The site.changed rows, read without opening a desk (that would record)."""
    store = await Store.open(db)
    try:
        return await AuditTrail(store).query(action="site.changed")
    finally:
        await store.close()


def test_dutydesk_check_creates_no_store(cli: Cli) -> None:
    cli.site.write_text(SITE, encoding="utf-8")
    cli.monkeypatch.setenv("COMMUNITY", "env-community-1")
    assert cli("check", "--once", "--device", "sw-2")[0] == 0
    assert not cli.db.exists()
