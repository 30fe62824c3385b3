"""Files and folders only their owner can read, never written through a symbolic link.

Session folders hold health data. Every folder vrex makes for them is 0700 and every file
0600 *from its creation*: the mode is given to ``os.open``/``os.mkdir`` (the umask can only
take bits away), never set by a chmod afterwards, so no other local user can open a file in
the moment between its creation and a chmod.

Nothing is written by following a link another user (or a mistake) planted where vrex
writes: whole files are written to a new temporary name created with
``O_CREAT | O_EXCL | O_NOFOLLOW`` and renamed onto their final name (a rename replaces a
link; it never writes into its target); files that are appended to are opened with
``O_NOFOLLOW`` and refused if they are a link or not a regular file.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

from engine.errors import VrexError

DIR_MODE = 0o700
FILE_MODE = 0o600
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def make_dir(path: str | Path, *, exist_ok: bool = False, parents: bool = False, allow_link: bool = False) -> Path:
    """Create ``path`` as a 0700 folder. With ``exist_ok`` an existing folder is accepted
    (its mode is left as it is: it may be the user's own), but a link or a file is refused:
    writing into a linked folder would put health data wherever the link points.
    ``allow_link``: a link to a folder is accepted (a sessions root the user chose, e.g. a
    link to an encrypted disk)."""
    path = Path(path)
    if parents and not os.path.lexists(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)  # the folders above: the user's choice
    try:
        os.mkdir(path, DIR_MODE)
    except FileExistsError:
        if not exist_ok:
            raise
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode) and allow_link and path.is_dir():
            return path
        if stat.S_ISLNK(mode):
            raise VrexError(
                f"{path} is a symbolic link; vrex does not write through links: "
                f"remove the link (or choose another folder) and run again"
            ) from None
        if not stat.S_ISDIR(mode):
            raise VrexError(f"{path} is not a folder; remove it or choose another folder") from None
    return path


def create_new(path: str | Path) -> int:
    """A file descriptor of a new 0600 file at ``path``; FileExistsError if anything is
    there, a dangling or planted link included."""
    return os.open(path, _NEW, FILE_MODE)


def write_file(path: str | Path, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` as the whole of ``path`` (0600), atomically: a new temporary file in
    the same folder, then renamed over ``path``. A link at ``path`` is replaced, not
    followed; the temporary name is random, so a link planted at a guessable ``*.tmp``
    name is never opened."""
    path = Path(path)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = create_new(tmp)
            break
        except FileExistsError:  # a name already taken: draw another
            continue
    else:
        raise FileExistsError(f"no free temporary name beside {path}")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def fsync_dir(path: str | Path) -> None:
    """fsync a folder, so a rename in it survives a power cut."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_append(path: str | Path) -> BinaryIO:
    """``path`` opened for appending (created 0600 if new). VrexError naming the path if it
    is a symbolic link or not a regular file (a FIFO, a device): an append through it would
    write somewhere else than the session folder."""
    path = Path(path)
    try:
        fd = os.open(path, _APPEND, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise VrexError(
                f"{path} is a symbolic link; vrex does not append through links "
                f"(it could overwrite another file): move the link away and "
                f"start again"
            ) from exc
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise VrexError(f"{path} is not a regular file; move it away and start again")
    os.set_blocking(fd, True)  # O_NONBLOCK only kept a FIFO from hanging open()
    if info.st_mode & 0o077:
        os.fchmod(fd, FILE_MODE)  # written by an older vrex: close it now
    return os.fdopen(fd, "ab")
