"""Export writers (data.exports): Markdown, CSV (BOM, RFC 4180 quoting, CRLF), and PDF
rendered to PNG with poppler and read back with pdftotext; report and incident
documents built from real records; every dynamic catalog key exists."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageStat

from data.accounts import User
from data.audit import AuditTrail
from data.calendar import ResponseStatus
from data.clock import ManualClock
from data.exports import (
    Document,
    Section,
    Table,
    fonts,
    to_csv,
    to_csv_document,
    to_markdown,
)
from data.exports.fonts import FontError, find_font
from data.exports.formatting import duration, masked_phone
from data.exports.incident_doc import incident_document, incident_list_document
from data.exports.pdf import column_widths, to_pdf
from data.exports.pdf_layout import CELL_PADDING, Measure, column_needs, wrap
from data.exports.report_doc import report_document
from data.i18n import catalog
from data.models import Site
from data.records.incidents.book import IncidentBook
from data.records.incidents.model import CATEGORIES, ENTRY_KIND, SEVERITIES, STATUSES, IncidentError
from data.records.reports.book import monthly
from data.records.reports.model import ReportPeriodError
from data.roles import Role
from data.store import Store

OPERATOR = User(2, "wang", "王伟", Role.OPERATOR)
TZ = ZoneInfo("Asia/Shanghai")
SITE_NAME = "南宁市电子政务外网中心机房"
IN_CI = os.environ.get("CI", "").lower() == "true"


pytestmark = pytest.mark.usefixtures("chinese")  # the documents are read in Chinese


def needs(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if IN_CI:
            pytest.fail(f"{tool} (Debian poppler-utils) is required in CI")
        pytest.skip(f"{tool} not installed (apt-get install poppler-utils)")
    return found


def sample(rows: int = 3) -> Document:
    table = Table(
        ["编号", "内容", "状态"],
        [
            [str(n), f"数据库连接池耗尽，第{n}次处理：重启服务并调大连接池参数。" * 2, "ok"]
            for n in range(rows)
        ],
    )
    return Document(
        "月度服务统计报告",
        SITE_NAME,
        [("统计周期", "2026-03")],
        [Section("一、总体情况", ["本月运行平稳。"], table), Section("二、说明", ["无"])],
        ["值班员", "审核人"],
    )


def test_markdown() -> None:
    doc = Document(
        "标题",
        "机房",
        [("周期", "2026-03")],
        [Section("表", ["段落"], Table(["a", "b|c"], [["多\n行", "x"]])), Section("空", [])],
        ["值班员"],
    )
    text = to_markdown(doc)
    assert text.startswith("# 标题\n\n**机房**\n\n- 周期: 2026-03\n\n## 表\n\n段落\n\n")
    assert "| a | b\\|c |\n| --- | --- |\n| 多<br>行 | x |" in text
    assert "## 空" in text and "值班员：" in text and "日期：" in text


def test_csv_is_rfc4180_with_a_bom() -> None:
    table = Table(
        ["名称", "说明"],
        [["逗号,在内", 'say "hi"'], ["两\n行", "=cmd|' /C calc'!A0"], ["-3.5", ""]],
    )
    text = to_csv(table)
    assert text.startswith("\ufeff名称,说明\r\n")
    assert '"逗号,在内","say ""hi"""\r\n' in text
    assert '"两\n行",' in text and text.endswith("-3.5,\r\n")
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert parsed[1] == ["逗号,在内", 'say "hi"']
    assert parsed[2] == ["两\n行", "'=cmd|' /C calc'!A0"]  # a formula is defused
    assert to_csv(table).encode("utf-8")[:3] == b"\xef\xbb\xbf"
    whole = to_csv_document(sample(2))
    assert whole.startswith("\ufeff" + SITE_NAME + " 月度服务统计报告\r\n")
    assert "\r\n一、总体情况\r\n编号,内容,状态\r\n" in whole


def test_table_rows_must_match_columns() -> None:
    with pytest.raises(ValueError, match="row 0"):
        Table(["a", "b"], [["only one"]])


def test_formatting() -> None:
    assert duration(None) == "—" and duration(45) == "45秒" and duration(600) == "10分钟"
    assert duration(timedelta(hours=2, minutes=5)) == "2小时05分"
    assert duration(-600) == "-10分钟"
    assert masked_phone("13812345678") == "138****5678" and masked_phone(None) == "—"
    font = find_font().name
    widths = column_widths(Table(["编号", "内容"], [["1", "很长的内容" * 20]]), 300, font)
    # the number column keeps just its header's width; the long text takes the rest
    assert widths[0] < 30 < 250 < widths[1] and sum(widths) == pytest.approx(300)


def test_pdf_cells_wrap_at_word_boundaries() -> None:
    measure = Measure(find_font().name, 8.5)
    for word in ("正常", "100.00%", "网络故障", "core-sw-ext-2"):
        needs = column_needs(["级别", word], measure)
        assert needs.least == needs.most  # short words: the column holds each whole
        assert wrap(word, needs.least - 2 * CELL_PADDING, measure) == [word]
    assert wrap("2026-12-05 19:00", measure.width("2026-12-05") + 1, measure) == [
        "2026-12-05",
        "19:00",
    ]
    narrow = measure.width("国" * 6) + 1
    sentence = "核心交换机固件版本待与华为核对，建议在周末维护窗口统一升级。"
    lines = wrap(sentence, narrow, measure)
    assert "".join(lines) == sentence and len(lines) == 5
    assert all(measure.width(line) <= narrow for line in lines)
    assert not any(line.startswith(("，", "。")) for line in lines)
    digest = "0123456789abcdef" * 4  # a run with no break in it is cut only to fit
    assert "".join(wrap(digest, narrow, measure)) == digest


def pages_png(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run(
        [needs("pdftoppm"), "-png", "-r", "50", str(pdf), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    return sorted(tmp_path.glob("p-*.png"))


def assert_not_blank(page: Path) -> None:
    with Image.open(page) as image:
        stat = ImageStat.Stat(image.convert("L"))
    assert stat.var[0] > 50, f"{page.name} looks blank (variance {stat.var[0]:.1f})"


def pdf_text(pdf: Path, page: int | None = None) -> str:
    span = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(
        [needs("pdftotext"), *span, "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


def test_pdf_embeds_a_cjk_font_renders_and_splits_tables(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    font = to_pdf(sample(rows=90), pdf)
    if not font.embedded:
        if IN_CI:
            pytest.fail("no TrueType CJK font found: install fonts-wqy-microhei")
        pytest.skip("no TrueType CJK font (apt-get install fonts-wqy-microhei)")
    pngs = pages_png(pdf, tmp_path)
    assert len(pngs) >= 3  # 90 wrapped rows cannot fit on two A4 pages
    for page in pngs:
        assert_not_blank(page)
    first = pdf_text(pdf, 1)
    assert SITE_NAME in first and "月度服务统计报告" in first and "数据库连接池耗尽" in first
    second = pdf_text(pdf, 2)
    assert "编号" in second and "内容" in second  # the header row repeats on each page
    assert "第2页" in second.replace(" ", "")  # the footer
    last = pdf_text(pdf, len(pngs))
    assert "值班员：" in last and "审核人：" in last and "日期：" in last


def test_pdf_falls_back_to_the_builtin_cid_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "CANDIDATES", ())
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    pdf = tmp_path / "fallback.pdf"
    font = to_pdf(sample(), pdf)
    assert (font.name, font.embedded, font.path) == ("STSong-Light", False, None)
    assert pdf.read_bytes().startswith(b"%PDF-") and b"STSong-Light" in pdf.read_bytes()
    for page in pages_png(pdf, tmp_path):
        assert_not_blank(page)  # table rules and any substituted glyphs


def test_a_configured_font_must_be_usable(tmp_path: Path) -> None:
    with pytest.raises(FontError) as missing:
        find_font(tmp_path / "nope.ttf")
    assert missing.value.code == "pdf_font_unusable"
    not_a_font = tmp_path / "fake.ttf"
    not_a_font.write_bytes(b"not a font")
    with pytest.raises(FontError):
        find_font(not_a_font)
    wqy = Path(fonts.CANDIDATES[0])
    if wqy.is_file():
        assert find_font(wqy).embedded and find_font(wqy) == find_font(str(wqy))


def make_site() -> Site:
    return Site.model_validate(
        {
            "site": {
                "name": SITE_NAME,
                "shifts": [{"name": "白班", "start": "08:30", "end": "17:30"}],
            },
            "zones": [{"id": "a", "name": "A区"}],
            "devices": [
                {
                    "id": "db-1",
                    "name": "数据库服务器",
                    "kind": "server",
                    "zone": "a",
                    "host": "127.0.0.1",
                    "checks": [{"id": "up", "type": "tcp"}],
                    "asset": {"vendor": "华为", "support": "400-822-9999"},
                }
            ],
        }
    )


async def test_report_and_incident_documents(
    store: Store, audit: AuditTrail, clock: ManualClock, tmp_path: Path
) -> None:
    site = make_site()
    book = IncidentBook(store, audit, site, clock=clock)
    opened = await book.open_manual(
        OPERATOR,
        "业务系统无法登录",
        "major",
        "application",
        "db-1",
        "张三",
        "行政审批局",
        "13812345678",
        "登录页报错",
    )
    clock.advance(timedelta(minutes=20))
    await book.escalate(OPERATOR, opened.id, ticket="HW-1")
    clock.advance(timedelta(minutes=40))
    await book.resolve(OPERATOR, opened.id, "数据库连接池耗尽", "重启服务并调大连接池")
    incident = await book.close(OPERATOR, opened.id)

    doc = incident_document(incident, SITE_NAME, TZ, clock())
    md = to_markdown(doc)
    assert f"# 故障处置记录 #{opened.id}" in md and "138****5678" in md
    assert "13812345678" not in md and "华为" in md and "400-822-9999" in md
    assert "数据库连接池耗尽" in md and "响应时限：达标 (1小时00分)" in md
    assert "| 2026-03-02 08:50 | wang | 提交厂商 | 华为 HW-1 |" in md
    listing = to_markdown(incident_list_document([incident], SITE_NAME, TZ, "2026-03", clock()))
    assert "业务系统无法登录" in listing and "20分钟" in listing

    report = await monthly(store, site, "2026-03", clock=clock)
    assert report.incidents.met == 1
    rendered = to_markdown(report_document(report))
    assert rendered.startswith(f"# 运维服务统计报告\n\n**{SITE_NAME}**")
    assert "| 响应达标率 | 100.0% (1/1) |" in rendered
    assert "| 数据库服务器 | up |" in rendered and "业务系统无法登录" in rendered
    pdf = tmp_path / "report.pdf"
    if to_pdf(report_document(report), pdf).embedded:
        assert "运维服务统计报告" in pdf_text(pdf)
        for page in pages_png(pdf, tmp_path):
            assert_not_blank(page)
    with pytest.raises(ReportPeriodError):
        await monthly(store, site, "2026-3", clock=clock)
    assert (await audit.verify()).ok


def test_every_dynamic_key_is_in_both_catalogs() -> None:
    keys = (
        [f"incident.severity.{s}" for s in SEVERITIES]
        + [f"incident.category.{c}" for c in CATEGORIES]
        + [f"incident.status.{s}" for s in STATUSES]
        + [f"incident.entry.{k}" for k in ENTRY_KIND.values()]
        + ["incident.entry.opened"]
        + [f"response.{s.value}" for s in ResponseStatus]
        + [f"export.alarm.{s}" for s in ("CRITICAL", "UNKNOWN", "WARNING")]
        + [f"export.schedule.{s}" for s in ("daily", "weekly", "monthly")]
        + [f"export.report.hours.{s}" for s in ("CRITICAL", "WARNING", "UNKNOWN")]
        + [f"export.report.scope.{s}" for s in ("zone", "kind", "device")]
    )
    codes = IncidentError.__doc__ or ""
    keys += [f"error.{c.strip(' .,')}" for c in codes.split(":", 1)[1].split()]
    keys += ["error.pdf_font_unusable", "error.bad_report_period", "error.incident_error"]
    for language in ("en", "zh_CN"):
        missing = [k for k in keys if k not in catalog(language)]
        assert missing == [], language
