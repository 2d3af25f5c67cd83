"""Where the console's log goes: a file in the XDG state folder, never the terminal
(a line written to the terminal would tear the full-screen display).

No secret reaches the file: every line, tracebacks included, is masked (data.masking) as
it is written, and asyncssh logs only warnings: at INFO it writes each command it runs,
which may carry a secret substituted from the environment.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

from data.masking import mask
from data.paths import private_dir, private_file, rotate_private

QUIET_LIBRARIES = ("asyncssh",)


class MaskingFormatter(logging.Formatter):
    """Formats a record as usual, then masks every known secret in the whole text."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def log_to_file(path: Path | None = None) -> Path:
    path = path or Path(platformdirs.user_log_dir("dutydesk")) / "dutydesk.log"
    private_file(private_dir(path.parent) / path.name)  # 0600 before the handler opens it
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.rotator = rotate_private  # and each new file after a rotation
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    return path
