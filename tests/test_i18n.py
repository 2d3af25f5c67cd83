"""Both catalogs carry every key, and every key the code asks for exists."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from data import i18n
from data.accounts import AuthError, User
from data.i18n import catalog, explain, resolve_language, t
from data.roles import Permission, PermissionDenied, Role, allows, require

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture
def chinese() -> Iterator[None]:
    previous = i18n.language()
    i18n.set_language("zh_CN")
    yield
    i18n.set_language(previous)


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
