"""Fixtures of the unit tests (data, checks and widget logic, no running App)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from data import i18n


@pytest.fixture
def chinese() -> Iterator[None]:
    """The catalog language is zh_CN for the test, then what it was before."""
    previous = i18n.language()
    i18n.set_language("zh_CN")
    yield
    i18n.set_language(previous)
