"""``dutydesk export`` and ``dutydesk report``: who may, what is written, what stays masked."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from pathlib import Path

import pytest

from tests.support.cli import ADMIN_PW, Cli, add_user

pytestmark = pytest.mark.usefixtures("fast_scrypt")
SUPER_PW, AUDIT_PW, OPER_PW = "Lead#2026c", "Audit#2026", "Duty#2026a"


@pytest.fixture
def staffed(initialised: Cli) -> Cli:
    for name, role, password in [
        ("wangwu", "supervisor", SUPER_PW),
        ("shenji", "auditor", AUDIT_PW),
        ("zhangsan", "operator", OPER_PW),
    ]:
        add_user(initialised, name, role, password)
    return initialised


def visitor_with_id(cli: Cli) -> str:
    """Register one visitor through the data layer; returns the full ID number."""
    from data.accounts import Accounts
    from data.audit import AuditTrail
    from data.crypto import open_cipher
    from data.idnumbers import check_character
    from data.records.visitors.book import AccessLog
    from data.records.visitors.model import VisitorEntry
    from data.store import Store

    first17 = "45010219900307123"
    number = first17 + check_character(first17)

    async def go() -> None:
        store = await Store.open(cli.db)
        try:
            audit = AuditTrail(store)
            user = await Accounts(store, audit).authenticate("zhangsan", OPER_PW)
            log = AccessLog(store, audit, open_cipher(cli.db))
            await log.enter_visitor(
                user,
                VisitorEntry(
                    "李工",
                    "resident_id",
                    number,
                    "某网络公司",
                    "13812345678",
                    "更换光模块",
                    escort="zhangsan",
                    badge="V-01",
                ),
            )
        finally:
            await store.close()

    asyncio.run(go())
    return number


def test_visitor_export_keeps_id_and_phone_masked(staffed: Cli) -> None:
    number = visitor_with_id(staffed)
    code, out, err = staffed(
        "export",
        "visitors",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert any("李工" in row for row in rows)
    assert number not in out and "13812345678" not in out
    assert number[:6] + "********" + number[-4:] in out


def test_record_exports_need_the_supervisor(staffed: Cli) -> None:
    code, _, err = staffed(
        "export",
        "incidents",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--user",
        "zhangsan",
        "--password-stdin",
        stdin=OPER_PW + "\n",
    )
    assert code == 2 and "may not" in err
    code, out, err = staffed(
        "export",
        "incidents",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--format",
        "md",
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 0, err
    assert out.startswith("#")


def test_audit_export_is_the_auditors_and_carries_the_chain(staffed: Cli) -> None:
    code, _, _ = staffed(
        "export",
        "audit",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 2
    code, out, err = staffed(
        "export",
        "audit",
        "--from",
        "2020-01-01",
        "--to",
        "2099-12-31",
        "--user",
        "shenji",
        "--password-stdin",
        stdin=AUDIT_PW + "\n",
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(len(r["hash"]) == 64 for r in rows)
    # the chain links: each row's prev_hash is the previous row's hash
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    assert ADMIN_PW not in out and SUPER_PW not in out


def test_report_as_csv_and_pdf(staffed: Cli, tmp_path: Path) -> None:
    out_csv = tmp_path / "report.csv"
    code, _, err = staffed(
        "report",
        "--month",
        "2026-11",
        "--format",
        "csv",
        "--out",
        str(out_csv),
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 0, err
    data = out_csv.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheets read UTF-8 Chinese
    out_pdf = tmp_path / "report.pdf"
    code, _, err = staffed(
        "report",
        "--month",
        "2026-11",
        "--format",
        "pdf",
        "--out",
        str(out_pdf),
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 0, err
    assert out_pdf.read_bytes().startswith(b"%PDF")
    code, _, err = staffed(
        "report",
        "--month",
        "2026-11",
        "--format",
        "pdf",
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 2 and "--out" in err
