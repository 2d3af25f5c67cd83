"""Hostile and broken site files: refused with ``file:line`` issues, never a traceback.

The loader reads what an admin hands it, which may be an attack (a YAML alias bomb) or a
mistake (a FIFO, /dev/zero, a value of the wrong type). Every outcome must be a ``Site`` or
a ``SiteConfigError`` whose lines all read ``file:line: ...``; the Hypothesis tests throw
random text and random structures (the demo site with parts replaced) at it.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from console.cli import main
from data.checklists import load_checklist
from data.config import LoadedSite, SiteConfigError, load_site_config
from data.yaml_source import MAX_DEPTH, MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "site.yaml"
MINIMAL = ROOT / "tests" / "fixtures" / "minimal-site.yaml"
PING = "devices[core-sw-1].checks[ping]"
ISSUE_LINE = re.compile(r"^(?P<file>.+?):(?:(?P<line>\d+):)? \S")


def refusal(path: Path) -> list[str]:
    """The issue lines of a refused file (fails the test if it loads)."""
    with pytest.raises(SiteConfigError) as caught:
        load_site_config(path, env={})
    return [str(issue) for issue in caught.value.issues]


def only_issues_with_lines(path: Path) -> LoadedSite | None:
    """Load ``path``: a site, or None after checking that every issue is ``file:line:``."""
    try:
        return load_site_config(path, env={})
    except SiteConfigError as error:
        assert error.errors, "refused without an error"
        for issue in error.issues:
            text = str(issue)
            match = ISSUE_LINE.match(text)
            assert match is not None and match["file"].endswith(issue.file), text
            assert issue.line >= 0 and issue.message, text
        return None


# -- files that must not be read at all ------------------------------------------------------


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "site.yaml"
    os.mkfifo(fifo)
    outcome: list[list[str]] = []
    worker = threading.Thread(target=lambda: outcome.append(refusal(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=10)  # a blocking open would hang here until a writer came
    if worker.is_alive():
        with open(fifo, "wb"):  # release the reader so the thread ends
            pass
        pytest.fail("loading a FIFO blocked")
    assert outcome == [[f"{fifo}: not a regular file"]]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_file_is_refused(device: str) -> None:
    assert refusal(Path(device)) == [f"{device}: not a regular file"]


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path) == [f"{tmp_path}: not a regular file"]


def test_a_file_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    with path.open("wb") as file:  # sparse: the cap must hold without reading it
        file.truncate(MAX_FILE_BYTES + 1)
    assert refusal(path) == [f"{path}: the file is larger than 4 MB"]


def test_a_checklist_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SiteConfigError) as caught:
        load_checklist("/dev/zero")
    assert [str(i) for i in caught.value.issues] == ["/dev/zero: not a regular file"]


# -- documents that expand or nest without bound ---------------------------------------------


def billion_laughs(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_where_it_explodes(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(billion_laughs(10))  # 9**10 nodes expanded, from 463 bytes
    assert refusal(path) == [f"{path}:6: refused: aliases expand to more than 500000 nodes"]


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("a: &a x\nb: [" + ", ".join(["*a"] * 20_001) + "]\n")
    assert refusal(path) == [f"{path}:2: refused: more than 20000 aliases"]


def test_a_self_referring_alias_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("a: &a [1, *a]\n")
    assert f"{path}:1: a[1]: an alias refers to itself" in refusal(path)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 200_000])
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("a: " + "[" * depth + "]" * depth + "\n")  # 200,000 crashed libyaml
    assert refusal(path) == [f"{path}:1: refused: nested deeper than {MAX_DEPTH} levels"]


# -- values of the wrong type ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("replace", "by", "key_path"),
    [
        ("id: core-sw-1", "id: []", "devices[0].id"),
        ("{id: ping, type: tcp,", "{id: ping, type: [],", "devices[core-sw-1].checks[ping].type"),
        (
            "{id: ping, type: tcp,",
            "{id: ping, type: {a: 1},",
            "devices[core-sw-1].checks[ping].type",
        ),
        ("zone: extranet", "zone: [extranet]", "devices[core-sw-1].zone"),
        ("depends_on: [core-sw-1]", "depends_on: [[core-sw-1]]", "devices[app-1].depends_on[0]"),
    ],
)
def test_a_value_of_the_wrong_type_is_reported_on_its_line(
    tmp_path: Path, replace: str, by: str, key_path: str
) -> None:
    text = MINIMAL.read_text("utf-8")
    assert replace in text
    path = tmp_path / "site.yaml"
    path.write_text(text.replace(replace, by, 1), encoding="utf-8")
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if by in row)
    found = refusal(path)
    assert any(f.startswith(f"{path}:{line}: {key_path}: ") for f in found), found


# -- Hypothesis: random text and random structures -------------------------------------------

FAST = settings(
    max_examples=int(os.environ.get("DUTYDESK_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TOKENS = [*"abz:-[]{}&*!,'\"#|>?%@`.0 \t", "\n", "\n  ", "\n- ", ": ", "- ", "&a ", "*a"]
TOKENS += ["<<: ", "${X}", "!!str ", "!!binary ", "!foo ", "id", "type", "devices", "site"]
TOKENS += ["checks", "2026-02-30", "0x1F", "1e999", "~", "null", "yes", "\ufeff", "\x00", "é"]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@FAST
@given(text=YAMLISH)
def test_random_text_loads_or_is_refused_with_lines(scratch: Path, text: str) -> None:
    path = scratch / "site.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    only_issues_with_lines(path)


DEMO_DATA: dict[str, Any] = yaml.safe_load(DEMO.read_text("utf-8"))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["snmp", "ssh", "tcp", "http", "ping", "operator", "auditor", "ext", "v2"]),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "type", "name", "x", "roles"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_of(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_of(value, (*prefix, index))
    return found


DEMO_PATHS = [p for p in paths_of(DEMO_DATA) if p and p[0] != "inspections"]


@FAST
@given(changes=st.lists(st.tuples(st.sampled_from(DEMO_PATHS), VALUES), min_size=1, max_size=4))
@example(changes=[(("site", "calendar", "workdays"), 1)])  # was a TypeError, not an issue
@example(changes=[(("site", "calendar", "holidays"), "2026-10-01")])
def test_random_structures_load_or_are_refused_with_lines(
    scratch: Path, changes: list[tuple[tuple[Any, ...], Any]]
) -> None:
    data = copy.deepcopy(DEMO_DATA)
    del data["inspections"]  # relative paths: not what this test is about
    for path, value in changes:
        parent: Any = data
        try:
            for seg in path[:-1]:
                parent = parent[seg]
            parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the place
    site = scratch / "site.yaml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    only_issues_with_lines(site)


def test_the_command_line_reports_a_refused_file_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(billion_laughs(10))
    assert main(["--site", str(path), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6: refused: aliases expand to more than 500000 nodes" in err
    assert "Traceback" not in err
