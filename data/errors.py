"""The base of every error the data layer shows to an operator.

Each error carries a stable ``code`` (what the console maps through its i18n catalog) and
``params`` (the values that message may show). ``str(error)`` is a plain English message
fit for an operator; none of them ever holds a password or another secret.
"""

from __future__ import annotations


class DutyDeskError(Exception):
    """An expected failure with a stable ``code``; subclasses set their default code."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.params: dict[str, object] = params
