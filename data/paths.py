"""Where dutydesk keeps its files when no --site/--db is given: the XDG directories.

platformdirs gives ~/.config/dutydesk and ~/.local/share/dutydesk on Linux (honouring
$XDG_CONFIG_HOME and $XDG_DATA_HOME); $DUTYDESK_SITE and $DUTYDESK_DB override them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP = "dutydesk"


def default_site_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("DUTYDESK_SITE"):
        return Path(env["DUTYDESK_SITE"]).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "site.yaml"


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("DUTYDESK_DB"):
        return Path(env["DUTYDESK_DB"]).expanduser()
    return Path(platformdirs.user_data_dir(APP)) / "dutydesk.db"
