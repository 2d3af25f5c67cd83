"""``dutydesk audit head`` and ``audit verify --anchor``: the anchor kept off the machine.

Issue 10 (d): the anchor existed only in Python; no command printed or checked one.
Exit codes: 0 verified, 1 a problem in the trail, 2 bad input.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

from data.crypto import audit_key_path_for
from tests.support.cli import ADMIN_PW, Cli

ANCHOR = re.compile(r"^(\d+):([0-9a-f]{64})$")


def _head(cli: Cli) -> str:
    code, out, err = cli("audit", "head")
    assert code == 0, err
    [line] = out.splitlines()
    assert ANCHOR.match(line), line
    return line


def test_audit_head_prints_the_last_row_as_id_colon_hash(initialised: Cli) -> None:
    anchor = _head(initialised)
    with sqlite3.connect(initialised.db) as db:
        last = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    assert anchor == f"{last[0]}:{last[1]}"


def test_verify_with_an_anchor_the_trail_still_holds(initialised: Cli) -> None:
    anchor = _head(initialised)
    initialised(  # the trail grows past the anchor
        "user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n"
    )
    assert _head(initialised) != anchor
    code, out, err = initialised("audit", "verify", "--anchor", anchor)
    assert code == 0, out + err
    assert f"anchor {anchor} is still in the trail" in out
    assert "keyed chain (HMAC-SHA256) from row 1" in out


def test_verify_with_an_anchor_past_a_cut_trail_exits_1(initialised: Cli) -> None:
    """A tail cut with meta set back verifies on its own: only the anchor sees it."""
    initialised("user", "list", "--user", "admin", "--password-stdin", stdin=ADMIN_PW + "\n")
    anchor = _head(initialised)
    anchor_id = int(anchor.split(":")[0])
    with sqlite3.connect(initialised.db) as db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DROP TRIGGER audit_head_forward_only")
        db.execute("DELETE FROM audit WHERE id = ?", (anchor_id,))
        (head_hash,) = db.execute(
            "SELECT hash FROM audit WHERE id = ?", (anchor_id - 1,)
        ).fetchone()
        db.execute(
            "UPDATE meta SET value = json_object('id', ?, 'hash', ?) WHERE key = 'audit.head'",
            (anchor_id - 1, head_hash),
        )
    assert initialised("audit", "verify")[0] == 0
    code, out, _ = initialised("audit", "verify", "--anchor", anchor)
    assert code == 1
    assert f"the trail ends before the anchor row {anchor_id}" in out


def test_verify_with_an_anchor_of_another_hash_exits_1(initialised: Cli) -> None:
    anchor_id = _head(initialised).split(":")[0]
    code, out, _ = initialised("audit", "verify", "--anchor", f"{anchor_id}:{'0' * 64}")
    assert code == 1 and f"row {anchor_id} differs from the anchored head" in out


def test_a_malformed_anchor_exits_2(initialised: Cli) -> None:
    for bad in ("12", "0:" + "a" * 64, "5:not-a-hash"):
        with pytest.raises(SystemExit) as exited:  # argparse's usage error
            initialised("audit", "verify", "--anchor", bad)
        assert exited.value.code == 2
        assert "not an anchor" in initialised.capsys.readouterr().err


def test_verify_without_the_audit_key_exits_2(initialised: Cli) -> None:
    audit_key_path_for(initialised.db).unlink()
    code, _, err = initialised("audit", "verify")
    assert code == 2 and "audit key" in err and "missing" in err


def test_init_creates_the_audit_key_owner_only(initialised: Cli) -> None:
    key = audit_key_path_for(initialised.db)
    assert key.stat().st_mode & 0o777 == 0o600 and key.stat().st_size == 32
