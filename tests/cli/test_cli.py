"""The command line, run in-process through console.cli.main (and once as a subprocess)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from tests.support.cli import ADMIN_PW, Cli, add_user
from tests.support.console import FIXTURES

pytestmark = pytest.mark.usefixtures("fast_scrypt")


def test_init_writes_a_valid_template_and_refuses_to_overwrite(initialised: Cli) -> None:
    code, out, _ = initialised("config", "check")
    assert code == 0 and "OK" in out
    key = initialised.db.with_name(initialised.db.name + ".key")
    assert key.stat().st_mode & 0o077 == 0  # the field key is readable by its owner only
    before = initialised.site.read_bytes()
    code, _, err = initialised("init", "--password-stdin", stdin=ADMIN_PW + "\n")
    assert code == 2 and "already exists" in err
    assert initialised.site.read_bytes() == before


def test_init_refuses_a_weak_admin_password_before_writing(cli: Cli) -> None:
    code, _, err = cli("init", "--password-stdin", stdin="short\n")
    assert code == 2 and "8 characters" in err
    assert not cli.site.exists() and not cli.db.exists()


def test_config_check_lists_every_error_with_its_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "site:\n"
        "  name: 坏\n"
        "  shifts:\n"
        "    - {name: 白班, start: '25:00', end: '17:30'}\n"
        "zones:\n"
        "  - {id: z, name: 区}\n"
        "devices:\n"
        "  - {id: a, name: A, kind: switch, zone: nowhere, host: 127.0.0.1, depends_on: [zz]}\n",
        encoding="utf-8",
    )
    code, out, err = cli("config", "check", "--site", str(bad))
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if line.startswith(str(bad))]
    assert any(line.startswith(f"{bad}:4: site.shifts[0].start:") for line in lines)
    assert any(line.startswith(f"{bad}:8: devices[a].zone:") for line in lines)
    assert any(line.startswith(f"{bad}:8: devices[a].depends_on[0]:") for line in lines)


def test_config_check_summary_names_credentials_but_never_their_secrets(
    cli: Cli, tmp_path: Path
) -> None:
    site = tmp_path / "secret.yaml"
    text = (FIXTURES / "minimal-site.yaml").read_text("utf-8")
    text = text.replace(
        "zones:",
        "credentials:\n  legacy:\n    snmp: {version: '2c', "
        "community: '${COMMUNITY_SECRET}'}\nzones:",
        1,
    )
    site.write_text(text, encoding="utf-8")
    cli.monkeypatch.setenv("COMMUNITY_SECRET", "s3cr3t-community")
    code, out, err = cli("config", "check", "--site", str(site))
    assert code == 0, err
    assert "legacy (snmp)" in out and "设备：3 台" in out  # the site says zh_CN
    assert "s3cr3t-community" not in out + err


def test_global_options_work_after_the_subcommand_and_from_the_environment(
    initialised: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["config", "check", "--site", str(initialised.site)])
    assert code == 0 and "OK" in capsys.readouterr().out
    monkeypatch.setenv("DUTYDESK_SITE", str(initialised.site))
    monkeypatch.setenv("DUTYDESK_DB", str(initialised.db))
    assert main(["audit", "verify"]) == 0
    assert "audit chain OK" in capsys.readouterr().out


def test_accounts_are_managed_by_the_admin_and_refused_to_others(initialised: Cli) -> None:
    code, out, err = initialised(
        "user",
        "add",
        "zhang",
        "--role",
        "operator",
        "--full-name",
        "张三",
        "--user",
        "admin",
        "--password-stdin",
        stdin=f"{ADMIN_PW}\nOper#2026x\n",
    )
    assert code == 0, err
    code, out, _ = initialised(
        "user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 0 and "zhang" in out and "operator" in out
    code, _, err = initialised(
        "user", "list", "--user", "zhang", "--password-stdin", stdin="Oper#2026x\n"
    )
    assert code == 2 and "may not" in err
    code, _, err = initialised(
        "user", "lock", "zhang", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 0
    code, _, err = initialised(
        "user",
        "passwd",
        "zhang",
        "--user",
        "zhang",
        "--password-stdin",
        stdin="Oper#2026x\nNew#pass2026\n",
    )
    assert code == 2 and "locked" in err
    assert (
        initialised(
            "user", "unlock", "zhang", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
        )[0]
        == 0
    )
    code, out, err = initialised(
        "user",
        "passwd",
        "zhang",
        "--user",
        "zhang",
        "--password-stdin",
        stdin="Oper#2026x\nNew#pass2026\n",
    )
    assert code == 0, err
    code, _, err = initialised(
        "user",
        "role",
        "admin",
        "operator",
        "--user",
        "admin",
        "--password-stdin",
        stdin=ADMIN_PW + "\n",
    )
    assert code == 2 and "last admin" in err


def test_wrong_password_exits_2_without_saying_whether_the_user_exists(initialised: Cli) -> None:
    _, _, err_known = initialised(
        "user", "list", "--user", "admin", "--password-stdin", stdin="wrong\n"
    )
    code, _, err_unknown = initialised(
        "user", "list", "--user", "nobody", "--password-stdin", stdin="wrong\n"
    )
    assert code == 2
    assert err_known == err_unknown


def test_audit_verify_detects_an_offline_edit(initialised: Cli) -> None:
    assert initialised("audit", "verify")[0] == 0
    with sqlite3.connect(initialised.db) as db:
        triggers = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'"
            )
        ]
        for name in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("UPDATE audit SET outcome = 'failed' WHERE id = 1")
    code, out, _ = initialised("audit", "verify")
    assert code == 1 and "row 1" in out


def test_audit_show_is_for_the_auditor(initialised: Cli) -> None:
    add_user(initialised, "shenji", "auditor", "Audit#2026")
    code, _, err = initialised(
        "audit", "show", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 2
    code, out, err = initialised(
        "audit",
        "show",
        "--user",
        "shenji",
        "--password-stdin",
        "--by",
        "admin",
        stdin="Audit#2026\n",
    )
    assert code == 0, err
    assert "account.bootstrap" in out and "account.add" in out


def test_backup_and_restore_round_trip(initialised: Cli, tmp_path: Path) -> None:
    backup = tmp_path / "backups" / "b1.db"
    backup.parent.mkdir()
    code, _, err = initialised(
        "backup", str(backup), "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 0, err
    initialised(
        "user",
        "add",
        "late",
        "--role",
        "operator",
        "--user",
        "admin",
        "--password-stdin",
        stdin=f"{ADMIN_PW}\nLate#2026x\n",
    )
    restore = ("restore", str(backup), "--user", "admin", "--password-stdin")
    code, _, err = initialised(*restore, stdin=ADMIN_PW + "\n")
    assert code == 2 and "--discard-newer" in err  # the trail has rows the backup lacks
    code, out, err = initialised(*restore, "--discard-newer", stdin=ADMIN_PW + "\n")
    assert code == 0, err
    assert "dropped audit rows" in out
    _, out, _ = initialised(
        "user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert "late" not in out  # the account added after the backup is gone
    assert initialised("audit", "verify")[0] == 0


def test_a_damaged_database_names_the_newest_backup_and_restore_still_works(
    initialised: Cli, tmp_path: Path
) -> None:
    backup = tmp_path / "b1.db"
    initialised("backup", str(backup), "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n")
    data = bytearray(initialised.db.read_bytes())
    data[4096:8192] = b"\x5a" * 4096  # scribble over the second page
    initialised.db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(str(initialised.db) + suffix).unlink(missing_ok=True)
    code, _, err = initialised("audit", "verify")
    assert code == 2 and "damaged" in err and str(backup) in err
    code, _, err = initialised(
        "restore", str(backup), "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert code == 0, err
    assert initialised("audit", "verify")[0] == 0


def test_the_installed_entry_point_runs(tmp_path: Path) -> None:
    exe = shutil.which("dutydesk", path=str(Path(sys.executable).parent))
    assert exe is not None
    result = subprocess.run(
        [exe, "config", "check", "--site", str(FIXTURES / "minimal-site.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    assert "测试中心机房" in result.stdout
