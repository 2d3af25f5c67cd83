"""The base of every dialog: where its look comes from and its keys' translated names."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import ClassVar, TypeVar

from textual.screen import ModalScreen

from console.bindings import translate_bindings

DIALOG_STYLES = Path(__file__).with_name("dialogs.tcss")
Result = TypeVar("Result")


def dialog_styles(*own: PurePath) -> list[str | PurePath]:
    """The dialogs' stylesheet, then a dialog's own (which may override it)."""
    return [DIALOG_STYLES, *own]


class Dialog(ModalScreen[Result]):
    """A box in the middle of the screen, over the dimmed section. A bigger box is a class
    of dialogs.tcss (``DEFAULT_CLASSES``): ``-wide`` for a command and its output,
    ``-form`` for a form, ``-document`` for a document to read. Subclasses with a
    stylesheet of their own set ``CSS_PATH = dialog_styles(<absolute path>)``: Textual
    resolves a relative path beside the module of the class instantiated."""

    CSS_PATH: ClassVar[str | PurePath | list[str | PurePath] | None] = DIALOG_STYLES

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        translate_bindings(self)
