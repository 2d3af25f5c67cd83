"""Fixtures of the command-line tests: ``cli``, the command line run in-process on a site
and database under ``tmp_path``, and ``initialised``, the same after ``dutydesk init``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import Cli, initialise, make_cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The command line run in-process on a site and database under ``tmp_path``."""
    return make_cli(tmp_path, capsys, monkeypatch)


@pytest.fixture
def initialised(cli: Cli, fast_scrypt: None) -> Cli:
    """``cli`` after ``dutydesk init`` (admin password ``tests.support.cli.ADMIN_PW``)."""
    return initialise(cli)
