"""A sealed session opened for reading: its files decrypted into a private temporary folder
(0700, files 0600, made fresh: nothing planted there can be written through) that is removed
when the reader is done, even on an error. A crash (kill -9, power cut) can leave that
folder in the system's temporary folder: docs/security.md says to keep TMPDIR on an
encrypted disk (or a RAM disk).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyrage

from engine.errors import VrexError
from engine.records.keyfiles import default_identity_path, identity_path, load_identities
from engine.records.seal import SUFFIX, is_sealed, read_manifest, sealed_files
from engine.session.private import create_new, make_dir

log = logging.getLogger(__name__)


def _recipients(folder: Path) -> str:
    try:
        return ", ".join(read_manifest(folder).get("recipients") or []) or "?"
    except VrexError:
        return "?"


def sealed_message(folder: Path) -> str:
    """What to do about a sealed session opened without an identity."""
    to = _recipients(folder)
    return (
        f"{folder} is sealed (encrypted at rest to {to}): open it with --identity FILE or VREX_IDENTITY=FILE, "
        f"the identity file `vrex keys init` wrote (by default {default_identity_path()})"
    )


def refuse_inside(folder: str | Path, out: str | Path | None, flag: str = "--out") -> None:
    """VrexError if ``out`` lies inside the sealed ``folder``: what is written there would be
    decrypted health data beside the sealed files (a report, an export)."""
    if out is None or not is_sealed(folder):
        return
    folder, out = Path(folder), Path(out)
    if out.resolve().is_relative_to(folder.resolve()):
        raise VrexError(
            f"{flag} {out} is inside the sealed session {folder}: what is written there would lie decrypted "
            f"beside its sealed files; give a private folder outside it"
        )


def _decrypt(src: Path, dst: Path, identities: list, ident_file: Path, folder: Path) -> None:
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise VrexError(f"cannot read {src}: {exc.strerror or exc} (a sealed file vrex wrote is never a link)") from exc
    try:
        with open(fd, "rb") as f, os.fdopen(create_new(dst), "wb") as g:
            pyrage.decrypt_io(f, g, identities)
    except (pyrage.DecryptError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:  # our side: the temporary disk
            raise VrexError(f"cannot decrypt {src} into {dst.parent}: {exc.strerror}; free space in $TMPDIR") from exc
        if "no matching keys" in str(exc).lower():
            mine = ", ".join(str(i.to_public()) for i in identities)
            raise VrexError(
                f"{ident_file} does not open {folder}: it was sealed to {_recipients(folder)}, "
                f"this identity is {mine}; give the identity file made with that public key"
            ) from None
        # a damaged or cut file (pyrage: DecryptError, or OSError without errno): what decrypted
        # before the damage stays (a cut log or XDF still loads), the loader lists what is missing
        log.warning("%s is damaged (%s): read up to the damage only", src, exc)


@contextlib.contextmanager
def opened(folder: str | Path, identity: str | Path | None = None) -> Iterator[Path]:
    """``folder`` itself if it is not sealed; else a private temporary folder holding its
    files decrypted with the identity (``identity``, else ``$VREX_IDENTITY``),
    removed on leaving. VrexError saying how to open it if no identity is found, or naming
    both keys if the identity does not match."""
    folder = Path(folder)
    if not is_sealed(folder):
        yield folder
        return
    ident_file = identity_path(identity)
    if ident_file is None:
        raise VrexError(sealed_message(folder))
    identities = load_identities(ident_file)
    tmp = Path(tempfile.mkdtemp(prefix="vrex-open-"))  # 0700, a new name
    try:
        plain = make_dir(tmp / folder.name)  # the session's own name: readers that print it stay right
        for rel in sealed_files(folder):
            dst = plain / rel[: -len(SUFFIX)]
            make_dir(dst.parent, exist_ok=True, parents=True)
            _decrypt(folder / rel, dst, identities, ident_file, folder)
        yield plain
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def opened_file(path: str | Path, identity: str | Path | None = None) -> Iterator[Path]:
    """A file of a session, decrypted if sealed: ``F.age``, or ``F`` where only ``F.age``
    exists. Yields a plaintext path, removed on leaving if it was decrypted."""
    path = Path(path)
    if not path.name.endswith(SUFFIX) and not path.exists() and path.with_name(path.name + SUFFIX).is_file():
        path = path.with_name(path.name + SUFFIX)
    if not path.name.endswith(SUFFIX):
        yield path
        return
    ident_file = identity_path(identity)
    if ident_file is None:
        raise VrexError(sealed_message(path.parent))
    tmp = Path(tempfile.mkdtemp(prefix="vrex-open-"))
    try:
        dst = tmp / path.name[: -len(SUFFIX)]
        _decrypt(path, dst, load_identities(ident_file), ident_file, path.parent)
        yield dst
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
