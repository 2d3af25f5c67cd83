"""Every export kind in every format, from the seeded demo database, through the command
line; the PDFs read back with pdftotext. A short word (a status, a time, a percentage)
is never split across lines, wide tables go landscape, and nothing untranslated or empty
reaches the page."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from data import passwords
from data.exports.pdf_layout import SHORT, display_width
from demo.seed import seed_history
from demo.setup import DEMO_ACCOUNTS, FULL_NAMES
from tests.demo.test_demo_seed import NOW, fresh_demo_db
from tests.support.cli import Cli
from tests.unit.test_exports import needs

KINDS = ("handovers", "visitors", "inspections", "incidents", "audit")
WIDE = ("visitors", "incidents", "audit")
PERIOD = ("--from", "2026-03-01", "--to", "2026-03-04")
PASSWORDS = {name: password for name, password, _ in DEMO_ACCOUNTS}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One seeded demo database for the module: (site.yaml, demo.db)."""
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "SCRYPT_N", 2**8)

        async def go() -> tuple[Path, Path]:
            site_path, db_path = await fresh_demo_db(folder)
            await seed_history(site_path, db_path, NOW)
            return site_path, db_path

        yield asyncio.run(go())


def export(cli: Cli, demo: tuple[Path, Path], kind: str, fmt: str, out: Path) -> Path:
    cli.site, cli.db = demo
    user = "shenji" if kind == "audit" else "wangwu"
    code, _, err = cli(
        "export",
        kind,
        *PERIOD,
        "--format",
        fmt,
        "--out",
        str(out),
        "--user",
        user,
        "--password-stdin",
        stdin=PASSWORDS[user] + "\n",
    )
    assert code == 0, err
    return out


def pdf_text(pdf: Path) -> str:
    result = subprocess.run(
        [needs("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def page_sizes(pdf: Path) -> set[str]:
    result = subprocess.run(
        [needs("pdfinfo"), "-f", "1", "-l", "999", str(pdf)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return set(re.findall(r"size:\s+([\d.]+ x [\d.]+)", result.stdout.decode()))


def short_words(csv_text: str) -> Counter[str]:
    """Whole words of the cells that must reach the PDF unsplit, with their counts."""
    words: Counter[str] = Counter()
    for row in csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"))):
        for cell in row:
            words.update(w for w in cell.split() if 1 < display_width(w) <= SHORT and w[0] != "'")
    return words


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_exports_in_every_format(
    cli: Cli, demo: tuple[Path, Path], tmp_path: Path, kind: str
) -> None:
    csv_file = export(cli, demo, kind, "csv", tmp_path / f"{kind}.csv")
    markdown = export(cli, demo, kind, "md", tmp_path / f"{kind}.md").read_text("utf-8")
    pdf = export(cli, demo, kind, "pdf", tmp_path / f"{kind}.pdf")

    assert pdf.read_bytes().startswith(b"%PDF-")
    assert not re.search(r"^#+\s*$", markdown, re.MULTILINE), "an empty heading"
    text = pdf_text(pdf)
    words = short_words(csv_file.read_text("utf-8"))
    assert words, "the export has rows"
    split = {w: (n, text.count(w)) for w, n in words.items() if text.count(w) < n}
    assert not split, f"words split across lines (in CSV, in PDF): {split}"
    portrait, wide = "595.276 x 841.89", "841.89 x 595.276"
    assert page_sizes(pdf) == {wide if kind in WIDE else portrait}


def test_visitor_export_names_the_kind_and_the_items(
    cli: Cli, demo: tuple[Path, Path], tmp_path: Path
) -> None:
    out = export(cli, demo, "visitors", "csv", tmp_path / "visitors.csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8").removeprefix("\ufeff"))))
    assert {row["类型"] for row in rows} == {"访客", "员工"}
    cabling = next(row for row in rows if "布线" in row["单位"])
    assert "六类网线（3 米） ×3" in cabling["带入物品"] and "压线钳" in cabling["带入物品"]
    assert "压线钳" in cabling["带出物品"] and "带出物品不符" in cabling["带出物品"]


def test_the_inspection_pdf_names_the_inspector_in_full(
    cli: Cli, demo: tuple[Path, Path], tmp_path: Path
) -> None:
    text = pdf_text(export(cli, demo, "inspections", "pdf", tmp_path / "inspections.pdf"))
    inspectors = re.findall(r"巡检人: (\S+)", text)
    assert inspectors and all(
        any(f"{full}（{name}）" == found for name, full in FULL_NAMES.items())
        for found in inspectors
    ), inspectors
