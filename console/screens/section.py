"""The frame every section screen shares: header, section bar, body, footer, nav keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from console.bindings import translate_bindings
from console.context import DeskContext
from console.sections import SECTIONS
from data.i18n import t
from widgets.duty_header import DutyHeader
from widgets.key_footer import KeyFooter
from widgets.nav_bar import NavBar


class SectionScreen(Screen[None]):
    """Subclasses set SECTION and implement compose_body(); ``ctx`` is what they may ask
    of the console."""

    SECTION = ""
    # Audit action prefixes of the changes to the records this section shows: when a
    # console writes one, ``records_changed`` reads them again. Never a read's action (a
    # search, a reveal): a reload that audits a read would make every console reload again.
    RECORD_ACTIONS: tuple[str, ...] = ()
    BINDINGS = [
        Binding(key, f"app.section('{sid}')", label, id=f"nav.{sid}", show=False)
        for sid, key, label in SECTIONS
        if key is not None
    ]

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__(id=f"section-{self.SECTION}")
        translate_bindings(self)
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield DutyHeader()
        nav = NavBar([(sid, key, t(label)) for sid, key, label in SECTIONS])
        nav.current = self.SECTION
        yield nav
        yield from self.compose_body()
        yield KeyFooter()  # wraps instead of cutting keys at 80 columns

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        self.ctx.refresh_header()

    def shows_records_of(self, actions: set[str]) -> bool:
        return any(action.startswith(self.RECORD_ACTIONS) for action in actions)

    def records_changed(self) -> None:
        """Records shown here were changed elsewhere: read them again, as when the screen
        comes back from a dialog (sections that list records reload there)."""
        self.on_screen_resume()
