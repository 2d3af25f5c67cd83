"""Where the console's log goes: a file in the XDG state folder, never the terminal
(a line written to the terminal would tear the full-screen display)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs


def log_to_file(path: Path | None = None) -> Path:
    path = path or Path(platformdirs.user_log_dir("dutydesk")) / "dutydesk.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return path
