"""Where dutydesk keeps its files, and how it writes them: readable by its own user only.

platformdirs gives ~/.config/dutydesk and ~/.local/share/dutydesk on Linux (honouring
$XDG_CONFIG_HOME and $XDG_DATA_HOME); $DUTYDESK_SITE and $DUTYDESK_DB override them.

Every file dutydesk writes (the database and its WAL/SHM, backups, exports, the log) holds
accounts, visitors' names or the audit trail, so each one is created 0600 and each folder
it creates 0700. The CLI also sets a umask of 077, but the modes here are explicit: they
hold whatever umask a library or a test runs under.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import platformdirs

APP = "dutydesk"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PROCESS_UMASK = 0o077  # set at the CLI's entry: whatever else gets created stays private
# The files that belong to a database besides the file itself.
_DB_COMPANIONS = ("-wal", "-shm", "-journal", ".backups.json")


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


def private_dir(path: Path) -> Path:
    """``mkdir -p path``; the folder is 0700 when this creates it. A folder that already
    exists is left as it is: it may be /tmp or a shared mount the user chose."""
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except FileExistsError:  # a file stands where the folder should be
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None
    return path


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: a new file is 0600, and an existing one is narrowed
    to 0600 when it is opened for writing (an export written again over an old file)."""
    fd = os.open(path, flags, PRIVATE_FILE)
    if flags & (os.O_WRONLY | os.O_RDWR):
        try:
            os.fchmod(fd, PRIVATE_FILE)
        except BaseException:
            os.close(fd)
            raise
    return fd


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing a file only its owner may read."""
    return open(path, mode, opener=private_opener, **kwargs)


def write_private(path: Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write a whole file, 0600 (``newline=""``: text is written exactly as given)."""
    if isinstance(data, bytes):
        with open_private(path, "wb") as out:
            out.write(data)
    else:
        with open_private(path, "w", encoding=encoding, newline="") as text:
            text.write(data)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists and is 0600: created empty if missing, else narrowed.
    For a file another library will open by name (the log)."""
    os.close(private_opener(str(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND))
    return path


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 if it does not exist (True when created); an
    existing file is not touched. SQLite then keeps that mode and gives it to the WAL and
    SHM files it creates beside the database."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, PRIVATE_FILE)  # O_CREAT's mode is cut by the umask, never widened
    finally:
        os.close(fd)
    return True


def rotate_private(source: str, dest: str) -> None:
    """A ``rotator`` for logging's rotating handlers: the renamed file keeps its mode, and
    the new file the handler opens next is created 0600 first."""
    os.replace(source, dest)
    create_private(Path(source))


def store_files(db_path: Path) -> Iterator[Path]:
    """The database and the companion files that exist beside it."""
    for path in (db_path, *(Path(f"{db_path}{suffix}") for suffix in _DB_COMPANIONS)):
        if path.is_file():
            yield path


def readable_by_others(path: Path) -> int | None:
    """The file's permission bits when its group or others may read or write it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o066 else None


def exposed_store_files(db_path: Path) -> list[tuple[Path, int]]:
    """The store's files that other users can read or change, with their modes."""
    found = []
    for path in store_files(db_path):
        mode = readable_by_others(path)
        if mode is not None:
            found.append((path, mode))
    return found
