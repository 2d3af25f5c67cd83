"""Why the demo refuses to start, in the operator's language; the demo command shows it as
a one-line CLI error (the demo does not import the console, so it cannot raise CliError)."""

from __future__ import annotations


class DemoRefused(Exception):
    """The demo will not start here: its message says why and what to do instead."""
