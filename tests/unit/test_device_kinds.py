"""Every device kind of site.yaml has its tile glyph and its label in the report's
grouping, in both languages (a new kind, like ``pdu``, needs all three)."""

from __future__ import annotations

from typing import get_args

import pytest

from data.i18n import catalog
from data.models import DeviceKind
from widgets.tile_render import KIND_GLYPH

KINDS = get_args(DeviceKind)


def test_pdu_is_a_device_kind() -> None:
    assert "pdu" in KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_a_one_cell_glyph(kind: str) -> None:
    glyph = KIND_GLYPH[kind]
    assert len(glyph) == 1 and glyph not in {g for k, g in KIND_GLYPH.items() if k != kind}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_each_kind_has_a_report_label(language: str) -> None:
    labels = catalog(language)
    assert [k for k in KINDS if f"reports.kind.{k}" not in labels] == []
