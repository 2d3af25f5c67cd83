"""``dutydesk export assets`` (csv, md, pdf, each read back) and ``dutydesk labels`` (an A4
sheet with every asset number and a QR drawing per label)."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import re
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.support.cli import Cli, add_user
from tests.unit.test_exports import needs, pdf_text

pytestmark = pytest.mark.usefixtures("fast_scrypt")
SUPER_PW, OPER_PW = "Lead#2026c", "Duty#2026a"
CONTRACT = {
    "number": "HT-2026-007",
    "vendor": "华为",
    "hotline": "400-822-9999",
    "support_level": "7x24",
    "starts_on": "2026-01-01",
    "ends_on": "2026-02-15",
}


@pytest.fixture
def registered(initialised: Cli) -> Cli:
    """The template site's one device (this-host) registered with a contract."""
    add_user(initialised, "wangwu", "supervisor", SUPER_PW)
    add_user(initialised, "zhangsan", "operator", OPER_PW)
    from data.accounts import Accounts
    from data.audit import AuditTrail
    from data.config import load_site_config
    from data.records.assets.book import AssetRegister
    from data.store import Store

    site = load_site_config(initialised.site).site

    async def go() -> None:
        store = await Store.open(initialised.db)
        try:
            audit = AuditTrail(store)
            user = await Accounts(store, audit).authenticate("wangwu", SUPER_PW)
            register = AssetRegister(store, audit, site)
            await register.save_contract(user, CONTRACT)
            values = {"asset_number": "ZC-0042", "rack": "A03", "u": "7", "vendor": "华为"}
            await register.save_asset(
                user, "this-host", {**values, "contract_number": "HT-2026-007"}
            )
        finally:
            await store.close()

    asyncio.run(go())
    return initialised


def export(cli: Cli, fmt: str, *extra: str, user: str = "wangwu") -> tuple[int, str, str]:
    password = SUPER_PW if user == "wangwu" else OPER_PW
    return cli(
        "export",
        "assets",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
        "--format",
        fmt,
        *extra,
        "--user",
        user,
        "--password-stdin",
        stdin=password + "\n",
    )


def test_asset_export_in_three_formats_read_back(registered: Cli, tmp_path: Path) -> None:
    code, out, err = export(registered, "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    register = next(row for row in rows if "ZC-0042" in row)
    assert "A03 U7" in register and "HT-2026-007" in register and "2026-02-15" in register
    assert any("400-822-9999" in row for row in rows)  # the contracts' table

    code, out, err = export(registered, "md")
    assert code == 0, err
    assert out.startswith("#") and "| ZC-0042 |" in out
    ending = out.split("Support ending in the period")[1]
    assert "ZC-0042" in ending  # the contract ends 2026-02-15, inside the period

    pdf = tmp_path / "assets.pdf"
    code, _, err = export(registered, "pdf", "--out", str(pdf))
    assert code == 0, err
    text = pdf_text(pdf)
    assert "ZC-0042" in text and "HT-2026-007" in text


def test_asset_export_is_the_supervisors(registered: Cli) -> None:
    code, _, err = export(registered, "csv", user="zhangsan")
    assert code == 2 and "may not" in err


def test_labels_sheet_has_the_asset_numbers_and_qr_codes(registered: Cli, tmp_path: Path) -> None:
    sheet = tmp_path / "labels.pdf"
    code, _, err = registered(
        "labels", "--out", str(sheet), "--user", "wangwu", "--password-stdin", stdin=SUPER_PW + "\n"
    )
    assert code == 0, err
    text = pdf_text(sheet)
    assert "ZC-0042" in text and "A03 U7" in text
    info = subprocess.run(
        [needs("pdfinfo"), str(sheet)], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d*", info)  # A4
    # The QR code is drawn as filled squares: a page content stream full of rectangles.
    from reportlab.graphics.barcode.qr import QrCodeWidget

    from data.exports.asset_labels import qr_drawing

    (widget,) = [shape for shape in qr_drawing("ZC-0042").contents]
    assert isinstance(widget, QrCodeWidget) and widget.value == "ZC-0042"
    assert count_rectangles(sheet) > 50

    code, _, err = registered(
        "labels",
        "--out",
        str(sheet),
        "--device",
        "nope",
        "--user",
        "wangwu",
        "--password-stdin",
        stdin=SUPER_PW + "\n",
    )
    assert code == 2 and "nope" in err


def count_rectangles(pdf: Path) -> int:
    """Rectangles (``re`` operators) in the PDF's content streams, inflated (reportlab
    writes them Flate-compressed, maybe ASCII85-wrapped)."""
    raw = pdf.read_bytes()
    found = 0
    for head, body in re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", raw, re.S):
        if b"ASCII85Decode" in head:
            body = base64.a85decode(body.strip(), adobe=True)
        if b"FlateDecode" in head:
            body = zlib.decompress(body)
        found += len(re.findall(rb"\sre\b", body))
    return found
