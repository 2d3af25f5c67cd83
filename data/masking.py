"""Secret values this process knows, masked out of text before it leaves the process.

A secret need not sit under a secret key: ``command: "curl -H 'X-Token: ${TOKEN}' ..."``
puts one into an SSH command, and from there into the library's log, the command's
output and a check's message. So the loader hands over every value it substituted from
the environment and every value under a secret key (``remember``), and whatever writes
text out (the log records, check results) passes it through ``mask``.

From the first secret on, every log record of the process is masked when it is created
(a record factory), whichever handler then takes it: the console's log file, or the
stderr fallback of the command line.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "***"
MIN_LENGTH = 4  # shorter values would mangle ordinary words in messages

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_factory_installed = False


def remember(values: Iterable[str]) -> None:
    """Mask these values from now on (values shorter than ``MIN_LENGTH`` are not)."""
    global _pattern
    new = {v for v in values if len(v) >= MIN_LENGTH} - _secrets
    if not new:
        return
    with _lock:
        _secrets.update(new)
        # longest first, so a secret that contains another is masked whole
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))
    _mask_log_records()


def mask(text: str) -> str:
    """``text`` with every remembered secret replaced by ``***``."""
    pattern = _pattern
    return text if pattern is None else pattern.sub(MASK, text)


def mask_value(value: Any) -> Any:
    """``mask`` for text; other values (numbers, None) as they are."""
    return mask(value) if isinstance(value, str) else value


def forget_all() -> None:
    """Forget every secret (tests; a process never needs it)."""
    global _pattern
    with _lock:
        _secrets.clear()
        _pattern = None


def _mask_log_records() -> None:
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
    make_record = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if _pattern is not None:
            try:
                text = record.getMessage()
            except Exception:  # a bad format is the handler's to report
                return record
            # formatted now, so that no secret can come back through the arguments
            record.msg, record.args = mask(text), None
        return record

    logging.setLogRecordFactory(masked_record)
