"""One translation function for every operator-facing string: ``t("app.title")``.

Catalogs are YAML files in data/locale/ (zh_CN.yaml, en.yaml), flat ``key: text`` maps with
``str.format`` placeholders. The language comes from site.yaml, else $LANG, else English.
A key missing from the active catalog falls back to English, then to the key itself, so a
gap is visible instead of a crash; tests/unit/test_i18n.py fails on any such gap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml

LANGUAGES = ("zh_CN", "en")
NAMED_PARAMS = ("role", "permission")  # an error's role or permission is shown by its name
_active = "en"


@cache
def catalog(language: str) -> Mapping[str, str]:
    text = resources.files("data.locale").joinpath(f"{language}.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text) or {}
    return {str(k): str(v) for k, v in loaded.items()}


def resolve_language(site_language: str | None, environ: Mapping[str, str] | None = None) -> str:
    """site.yaml's language wins; else $LC_ALL / $LANG when it names Chinese; else English."""
    if site_language in LANGUAGES:
        return site_language
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


def set_language(language: str) -> None:
    global _active
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {LANGUAGES}")
    _active = language


def language() -> str:
    return _active


def t(key: str, /, **params: object) -> str:
    """The text of ``key`` in the active language, formatted with ``params``."""
    text = catalog(_active).get(key) or catalog("en").get(key) or key
    return text.format(**params) if params else text


def explain(error: Exception) -> str:
    """An operator-facing message for a data-layer error: its ``code`` through the catalog,
    else the error's own plain English text.

    ``error.<code>`` is formatted with the error's params; a list param is shown item by
    item through ``error.<code>.<item>``; when a param is None the catalog may offer
    ``error.<code>.without_<param>`` instead (e.g. no backup known); a role or permission
    param is shown by its catalog name (``role.operator``, ``permission.sticky_ack``).
    """
    code = getattr(error, "code", None)
    params: dict[str, object] = dict(getattr(error, "params", {}) or {})
    if not code:
        return str(error)
    key = f"error.{code}"
    for name, value in params.items():
        if value is None and f"{key}.without_{name}" in catalog(_active):
            key = f"{key}.without_{name}"
        elif isinstance(value, list | tuple):
            params[name] = "; ".join(t(f"error.{code}.{item}") for item in value)
        elif name in NAMED_PARAMS and f"{name}.{value}" in catalog(_active):
            params[name] = t(f"{name}.{value}")
    if key not in catalog(_active):
        return str(error)
    try:
        return t(key, **params)
    except (KeyError, IndexError):
        return str(error)
