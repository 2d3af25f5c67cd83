"""What the checklist form shows of one item: its answer state and its line of text.

Plain data in, Rich text out: ``ItemAnswer`` is an answer as the form shows it (the screen
makes it from the stored record), ``item_line`` draws one item. The meaning never rests on
colour alone: a flagged answer carries ⚑, a live value ⟲, an operator's override ✎.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.style import Style
from rich.text import Text

from data.checklists import ChecklistItem
from data.i18n import t

PASS, FAIL = "pass", "fail"
TEXT_WIDTH = 38  # cells for the item's text
ANSWER_WIDTH = 16
ALLOWED_WIDTH = 14
GLYPH_FLAG, GLYPH_LIVE, GLYPH_OVERRIDE, GLYPH_MISSING = "⚑", "⟲", "✎", "*"
NUMBER_KEYS = frozenset("0123456789.-")


@dataclass(frozen=True)
class ItemAnswer:
    """An answer as shown. ``live_value``/``live_at``: what a live check offered and when
    (already formatted in the site's time zone)."""

    value: str | None = None
    note: str = ""
    live_value: str | None = None
    live_at: str = ""
    overridden: bool = False
    flagged: bool = False

    @property
    def prefilled(self) -> bool:
        return self.live_value is not None and not self.overridden


@dataclass(frozen=True)
class LineStyles:
    """Theme styles, taken from the form's component classes."""

    flagged: Style
    muted: Style
    live: Style


def is_flagged(item: ChecklistItem, value: str | None) -> bool:
    """The form's own quick verdict, shown until the stored answer comes back (the rule
    itself lives in data.records.inspections.model.flag_reason)."""
    if value is None:
        return False
    if item.kind == "passfail":
        return value == FAIL
    if item.kind == "reading" and item.range is not None:
        try:
            return not item.range.holds(float(value))
        except ValueError:
            return False
    return False


def shown_value(item: ChecklistItem, value: str | None, cursor: bool = False) -> str:
    if value is None:
        return "‹ ›" if cursor and item.kind == "choice" else "—"
    if item.kind == "passfail":
        return f"✔ {t('checklist.pass')}" if value == PASS else f"✖ {t('checklist.fail')}"
    if item.kind == "reading":
        try:
            return f"{float(value):g} {item.unit or ''}".strip()
        except ValueError:
            return value
    if item.kind == "choice" and cursor:
        return f"‹ {value} ›"
    return value.replace("\n", " ")


def allowed_text(item: ChecklistItem) -> str:
    return f"{item.range} {item.unit or ''}".strip() if item.range is not None else ""


def fit(text: str, width: int) -> str:
    """``text`` padded or cut (with …) to exactly ``width`` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def item_line(
    item: ChecklistItem,
    answer: ItemAnswer,
    styles: LineStyles,
    *,
    cursor: bool,
    missing: bool,
    buffer: str | None = None,
) -> Text:
    """One item: cursor, flag, text, answer, allowed range, live/override marks, and a
    second line for the note (or the note a flagged answer still needs)."""
    flag = answer.flagged and answer.value is not None
    line = Text("▸ " if cursor else "  ")
    line.append(f"{GLYPH_FLAG} " if flag else "  ", styles.flagged)
    marker = f"{GLYPH_MISSING}" if missing else " "
    line.append(marker, styles.flagged)
    line.append(fit(item.text, TEXT_WIDTH) + " ")
    if buffer is not None:
        line.append(fit(f"{buffer}▏{item.unit or ''}", ANSWER_WIDTH), "reverse")
    else:
        answer_style = styles.flagged if flag else Style()
        line.append(fit(shown_value(item, answer.value, cursor), ANSWER_WIDTH), answer_style)
    line.append(" " + fit(allowed_text(item), ALLOWED_WIDTH) + " ", styles.muted)
    if answer.prefilled:
        line.append(f"{GLYPH_LIVE} {t('checklist.live', time=answer.live_at)}", styles.live)
    elif answer.overridden:
        live = shown_value(item, answer.live_value)
        line.append(f"{GLYPH_OVERRIDE} {t('checklist.overridden', value=live)}", styles.muted)
    if missing:
        line.append(" " + t("checklist.required"), styles.flagged)
    if answer.note:
        line.append("\n      └ " + t("checklist.note_shown", note=answer.note), styles.muted)
    elif flag:
        line.append(f"\n      └ {GLYPH_FLAG} " + t("checklist.needs_note"), styles.flagged)
    return line


def section_line(title: str, answered: int, total: int) -> Text:
    return Text.assemble(("■ " + title, "bold"), f"  {answered}/{total}")


def guidance_text(item: ChecklistItem, answer: ItemAnswer, read_only: bool) -> str:
    """What the panel under the list says about the selected item."""
    parts = [item.text]
    if item.guidance:
        parts.append(item.guidance)
    if item.range is not None:
        parts.append(t("checklist.allowed", range=allowed_text(item)))
    if item.source is not None:
        parts.append(
            t("checklist.source", device=item.source.device, check=item.source.check)
            + (f" ({answer.live_at})" if answer.live_at else "")
        )
    if not read_only:
        parts.append(t(f"checklist.keys.{item.kind}"))
    return "\n".join(parts)


def answered(item: ChecklistItem, before: ItemAnswer, value: str | None, note: str) -> ItemAnswer:
    """The answer as the form shows it at once, before the stored one comes back."""
    live = before.live_value
    overridden = live is not None and value != live
    return ItemAnswer(value, note, live, before.live_at, overridden, is_flagged(item, value))


def counts_text(answers: Iterable[ItemAnswer]) -> str:
    shown = list(answers)
    return t(
        "checklist.counts",
        answered=sum(1 for a in shown if a.value is not None),
        total=len(shown),
        flagged=sum(1 for a in shown if a.flagged and a.value is not None),
        live=sum(1 for a in shown if a.prefilled),
    )


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def next_choice(item: ChecklistItem, current: str | None, step: int) -> str:
    """The choice ``step`` places from ``current`` (the first or last when unset)."""
    choices = item.choices
    position = choices.index(current) + step if current in choices else 0 if step > 0 else -1
    return choices[position % len(choices)]


def numbered_choice(item: ChecklistItem, key: str) -> str | None:
    """Digit ``n`` picks a choice item's n-th choice."""
    if item.kind != "choice" or not key.isdigit() or not 1 <= int(key) <= len(item.choices):
        return None
    return item.choices[int(key) - 1]
