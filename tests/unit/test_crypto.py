"""Field encryption at rest: the key file's rules, round trips, wrong keys, blind indexes."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.crypto import (
    KEY_BYTES,
    DecryptError,
    FieldCipher,
    KeyFileError,
    create_key,
    ensure_key,
    key_path_for,
    load_key,
    open_cipher,
)

KEY = bytes(range(32))
CIPHER = FieldCipher(KEY)


def flip_a_bit(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[len(raw) // 2] ^= 1
    return "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode()


def key_error(path: Path) -> KeyFileError:
    with pytest.raises(KeyFileError) as caught:
        load_key(path)
    return caught.value


def test_the_key_lives_beside_the_database() -> None:
    assert key_path_for(Path("/srv/duty/dutydesk.db")) == Path("/srv/duty/dutydesk.db.key")


def test_create_key_writes_32_private_bytes_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "dutydesk.db.key"
    old_umask = os.umask(0o000)  # even a careless umask gives a private file
    try:
        create_key(path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_key(path)
    assert len(key) == KEY_BYTES
    with pytest.raises(KeyFileError) as caught:
        create_key(path)
    assert caught.value.code == "key_exists"
    assert load_key(path) == key  # untouched


def test_a_key_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = create_key(tmp_path / "k.key")
    path.chmod(0o644)
    error = key_error(path)
    assert error.code == "key_permissions"
    assert f"chmod 600 {path}" in str(error) and "0644" in str(error)
    path.chmod(0o640)
    assert key_error(path).code == "key_permissions"
    path.chmod(0o400)  # read-only for the owner is fine
    assert len(load_key(path)) == KEY_BYTES


def test_other_unusable_key_files(tmp_path: Path) -> None:
    assert key_error(tmp_path / "none.key").code == "key_missing"
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 16)
    short.chmod(0o600)
    assert key_error(short).code == "key_bad_size"
    real = create_key(tmp_path / "real.key")
    link = tmp_path / "link.key"
    link.symlink_to(real)
    assert key_error(link).code == "key_not_file"
    folder = tmp_path / "dir.key"
    folder.mkdir(mode=0o700)
    assert key_error(folder).code in ("key_not_file", "key_bad_size")


def test_ensure_key_creates_once_then_reuses(tmp_path: Path) -> None:
    db = tmp_path / "data" / "dutydesk.db"
    path = ensure_key(db)
    assert path == key_path_for(db)
    first = load_key(path)
    assert ensure_key(db) == path and load_key(path) == first
    token = open_cipher(db).encrypt("110105194912310021", field="id_number")
    assert open_cipher(db).decrypt(token, field="id_number") == "110105194912310021"
    path.chmod(0o604)
    with pytest.raises(KeyFileError):
        ensure_key(db)  # checked, not silently replaced


@given(st.text(max_size=200), st.sampled_from(["", "id_number", "phone"]))
def test_round_trip(text: str, field: str) -> None:
    token = CIPHER.encrypt(text, field=field)
    assert token.startswith("v1:")
    assert CIPHER.decrypt(token, field=field) == text


def test_tokens_differ_each_time_and_hide_the_text() -> None:
    first = CIPHER.encrypt("13812345678")
    second = CIPHER.encrypt("13812345678")
    assert first != second
    assert "13812345678" not in first and "13812345678" not in second


def test_a_wrong_key_a_changed_token_or_another_field_fails() -> None:
    token = CIPHER.encrypt("11010519491231002X", field="id_number")
    other = FieldCipher(bytes(32))
    attempts = [
        (other, token, "id_number"),  # another key
        (CIPHER, token, "phone"),  # another field's token
        (CIPHER, flip_a_bit(token), "id_number"),  # changed
    ]
    for cipher, candidate, field in attempts:
        with pytest.raises(DecryptError) as caught:
            cipher.decrypt(candidate, field=field)
        assert caught.value.code == "decrypt_failed"
    for bad in ("v2:" + token[3:], "plain text", "v1:!!!", "v1:AAAA"):
        with pytest.raises(DecryptError) as caught:
            CIPHER.decrypt(bad, field="id_number")
        assert caught.value.code == "bad_token"


def test_blind_index_is_exact_keyed_and_per_field() -> None:
    index = CIPHER.blind_index("11010519491231002X", field="id_number")
    assert index == FieldCipher(KEY).blind_index("11010519491231002X", field="id_number")
    assert len(index) == 64 and "11010519491231002X" not in index
    assert index != CIPHER.blind_index("11010519491231002Y", field="id_number")
    assert index != CIPHER.blind_index("11010519491231002X", field="phone")
    assert index != FieldCipher(bytes(32)).blind_index("11010519491231002X", field="id_number")


def test_the_key_never_shows() -> None:
    assert repr(CIPHER) == "FieldCipher(<key hidden>)"
    assert KEY.hex() not in repr(CIPHER)
    with pytest.raises(ValueError):
        FieldCipher(b"short")
