"""Both catalogs carry every key, and every key the code asks for exists."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from data import i18n
from data.accounts import AuthError, User
from data.i18n import catalog, explain, resolve_language, t
from data.roles import Permission, PermissionDenied, Role, allows, require

ROOT = Path(__file__).resolve().parents[2]
ASCII_WORDS = re.compile(r"[A-Za-z]{3,}")  # an English word left in a Chinese message
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*[a-z0-9_])["']""")
# Keys built at run time: t(f"auth.{code}"), t("role." + role), a refusal's permission,
# nav labels in SECTIONS.
DYNAMIC_FAMILIES = {
    "auth": {"unknown_user", "bad_password", "locked", "disabled"},
    "role": {"operator", "supervisor", "admin", "auditor"},
    "permission": {permission.value for permission in Permission},  # data.i18n.NAMED_PARAMS
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for layer in ("console", "widgets", "checks", "data", "demo"):
        for path in (ROOT / layer).rglob("*.py"):
            keys.update(LITERAL_KEY.findall(path.read_text("utf-8")))
    from console.sections import SECTIONS

    keys.update(label for _, _, label in SECTIONS)
    for family, members in DYNAMIC_FAMILIES.items():
        keys.update(f"{family}.{m}" for m in members)
    return keys


def test_catalogs_have_the_same_keys() -> None:
    en, zh = set(catalog("en")), set(catalog("zh_CN"))
    assert en - zh == set(), "missing from zh_CN.yaml"
    assert zh - en == set(), "missing from en.yaml"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_key_the_code_uses_is_translated(language: str) -> None:
    missing = sorted(used_keys() - set(catalog(language)))
    assert missing == []


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_placeholders_match_between_languages(language: str) -> None:
    field = re.compile(r"{(\w+)}")
    for key, text in catalog(language).items():
        assert set(field.findall(text)) == set(field.findall(catalog("en")[key])), key


@pytest.mark.usefixtures("chinese")
@pytest.mark.parametrize("reason", ["unknown_user", "bad_password", "locked", "disabled"])
def test_a_refused_password_reads_in_the_operators_language(reason: str) -> None:
    """What every password dialog shows (sign-out, sign-in, quit, seal): explain(AuthError)."""
    shown = explain(AuthError(reason, until=dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)))
    assert shown == t(f"auth.{reason}") and not ASCII_WORDS.search(shown), shown


@pytest.mark.usefixtures("chinese")
@pytest.mark.parametrize(
    ("role", "permission"),
    [(role, p) for p in Permission for role in Role if not allows(role, p)],
)
def test_a_role_refusal_names_role_and_permission_in_the_operators_language(
    role: Role, permission: Permission
) -> None:
    """e.g. an operator's sticky acknowledgement: not "operator ... (sticky_ack)"."""
    with pytest.raises(PermissionDenied) as refused:
        require(User(2, "zhangsan", "张三", role), permission)
    shown = explain(refused.value)
    assert permission.value not in shown and role.value not in shown, shown
    assert not ASCII_WORDS.search(shown), shown


# Calls whose text reaches the screen, and which of their arguments carry it: positional
# indexes and keyword names. Binding descriptions are catalog keys translated per screen.
TEXT_ARGUMENTS: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "Static": ((0,), ()),
    "Label": ((0,), ()),
    "Button": ((0,), ("label",)),
    "Checkbox": ((0,), ("label",)),
    "RadioButton": ((0,), ("label",)),
    "notify": ((0,), ("message", "title")),
    "Binding": ((2,), ("description", "tooltip")),
    "Input": ((), ("placeholder", "tooltip")),
    "Select": ((), ("prompt",)),
    "TextArea": ((), ("placeholder",)),
    "add_column": ((0,), ("label",)),
    "add_columns": ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), ()),
    "update": ((0,), ()),
    "Text": ((0,), ()),
    "Option": ((0,), ()),
    "SystemCommand": ((0, 1), ()),
}
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")  # a word of English or a Chinese character
# (path, literal) -> why it is not translated. Keep this short: each entry is a string an
# operator sees in one language whatever the site's.
ALLOWED_LITERALS: dict[tuple[str, str], str] = {}


def user_facing_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal (or literal part of an f-string) passed where
    text reaches the screen, that holds a word and is not a catalog key."""
    keys = set(catalog("en"))
    found = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in TEXT_ARGUMENTS:
            continue
        positions, keywords = TEXT_ARGUMENTS[name]
        shown = [call.args[i] for i in positions if i < len(call.args)]
        shown += [keyword.value for keyword in call.keywords if keyword.arg in keywords]
        for node in shown:
            parts = [node] if isinstance(node, ast.Constant) else getattr(node, "values", [])
            for part in parts:
                text = part.value if isinstance(part, ast.Constant) else None
                if isinstance(text, str) and WORDS.search(text) and text not in keys:
                    found.append((call.lineno, text))
    return found


def test_the_literal_scan_finds_text_outside_the_catalogs() -> None:
    source = """
Static("Hello operator"); Label("巡检"); self.notify(f"Saved {n} rows"); Button(label="OK")
Binding("x", "go", "Go there"); Input(placeholder="your name"); table.add_column("Name")
table.add_columns("Badge", "ID"); Text(f"{count} inside")
Static(t("nav.wall")); Static("nav.wall"); Static(""); Text(f"⚠ {n}")
Binding("y", "go", "binding.lock")
"""
    assert {text for _, text in user_facing_literals(source)} == {
        "Hello operator",
        "巡检",
        "Saved ",
        " rows",
        "OK",
        "Go there",
        "your name",
        "Name",
        "Badge",
        "ID",
        " inside",
    }


def test_console_and_widgets_show_no_literal_text() -> None:
    """Text an operator reads comes from the catalogs, so it follows the site's language."""
    found = []
    for layer in ("console", "widgets"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            relative = str(path.relative_to(ROOT))
            for line, text in user_facing_literals(path.read_text("utf-8")):
                if (relative, text) not in ALLOWED_LITERALS:
                    found.append(f"{relative}:{line}: {text!r}")
    assert found == []


def test_language_resolution_order() -> None:
    assert resolve_language("zh_CN", {"LANG": "en_US.UTF-8"}) == "zh_CN"
    assert resolve_language(None, {"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert resolve_language(None, {"LANG": "de_DE.UTF-8"}) == "en"
    assert resolve_language(None, {}) == "en"


def test_translation_switches_language() -> None:
    previous = i18n.language()
    try:
        i18n.set_language("zh_CN")
        assert t("nav.wall") == "状态墙"
        i18n.set_language("en")
        assert t("header.shift", name="夜班") == "Shift 夜班"
        assert t("no.such.key") == "no.such.key"
    finally:
        i18n.set_language(previous)
