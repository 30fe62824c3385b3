"""A finished session folder sealed to the clinic's public keys, file by file, in age format.

Each file ``F`` of the folder becomes ``F.age`` (age-encryption.org/v1, X25519 recipients) and
``sealed.json`` lists them with what ``vrex history`` shows without the identity: the
session id, start and end times and the scenario id (the patient id is the folder's name
already). Nothing else is left in the clear.

The plaintext is removed only once every sealed copy has been written, fsynced and read
back *through decryption* to the same bytes: each file is also sealed to a one-time check
key made here, held in memory only and forgotten when sealing ends, so vrex can prove the
file decrypts without holding the clinic's identity. The extra recipient stanza opens
nothing once the process is gone. Sealing again is safe: a crash at any point leaves the
plaintext (and maybe some ``.age`` files that a later ``vrex seal --pending`` rewrites).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pyrage
from pyrage import x25519

from engine.errors import VrexError
from engine.session.private import create_new, fsync_dir

log = logging.getLogger(__name__)

MANIFEST = "sealed.json"
SUFFIX = ".age"
FORMAT = "vrex-sealed/1"
SESSION_MARKERS = ("session.json", "events.jsonl", "recording.xdf", MANIFEST)
PATIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SEALING = re.compile(r"\..*\.age\.[0-9a-f]{12}\.tmp")  # a sealed copy being written when sealing stopped


class _Hashing:
    """A file's reads or writes, passed through and hashed (pyrage streams through it)."""

    def __init__(self, f: BinaryIO | None = None):
        self.f, self.sha, self.size = f, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass


def is_sealed(folder: str | Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def read_manifest(folder: str | Path) -> dict:
    """``sealed.json``; VrexError naming it if it cannot be read."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VrexError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise VrexError(f"{path} is not a JSON object")
    return data


def plaintext_files(folder: str | Path) -> list[str]:
    """The files of ``folder`` (relative, '/'-separated) still in the clear. A link or a
    special file is a VrexError naming it: vrex seals only what it wrote."""
    folder = Path(folder)
    found: list[str] = []

    def walk(path: Path, rel: str) -> None:
        for entry in sorted(os.scandir(path), key=lambda e: e.name):
            name = f"{rel}{entry.name}"
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                raise VrexError(
                    f"{entry.path} is a symbolic link; vrex does not seal links: move it away and run again"
                )
            if stat.S_ISDIR(mode):
                walk(Path(entry.path), name + "/")
            elif not stat.S_ISREG(mode):
                raise VrexError(f"{entry.path} is not a regular file; move it away and run again")
            elif _SEALING.fullmatch(entry.name):
                continue  # ciphertext of a seal under way or interrupted (sealed again from F)
            elif name != MANIFEST and not name.endswith(SUFFIX):
                found.append(name)

    walk(folder, "")
    return found


def sealed_files(folder: str | Path) -> list[str]:
    """The ``.age`` files of ``folder``, relative."""
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob(f"*{SUFFIX}") if p.is_file())


def _new_beside(path: Path) -> tuple[Path, int]:
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return tmp, create_new(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _seal_file(path: Path, keys: list, check: x25519.Identity) -> None:
    """``path`` → ``path.age``, written to a new file, fsynced, renamed, read back."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise VrexError(f"{path} is not a regular file; move it away and run again")
        plain = _Hashing(src)
        target = path.with_name(path.name + SUFFIX)
        tmp, out = _new_beside(target)
        try:
            with os.fdopen(out, "wb") as dst:
                pyrage.encrypt_io(plain, dst, keys)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, target)  # replaces a link planted at F.age, never writes through it
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    back = _Hashing()
    with open(os.open(target, os.O_RDONLY | os.O_NOFOLLOW), "rb") as f:
        pyrage.decrypt_io(f, back, [check])
    if (back.size, back.sha.digest()) != (plain.size, plain.sha.digest()):
        raise VrexError(f"{target} did not read back as {path.name} ({back.size} of {plain.size} bytes); kept {path}")


def seal_folder(folder: str | Path, recipients: list[str], now: datetime | None = None) -> list[str]:
    """Seal every plaintext file of the session ``folder`` to ``recipients`` (age1… keys) and
    write ``sealed.json``; the plaintext is removed last. Returns the files sealed now."""
    folder = Path(folder)
    if not recipients:
        raise VrexError(
            "no recipient to seal to: run `vrex keys init --sessions ROOT` or add one to ROOT/recipients.txt"
        )
    files = plaintext_files(folder)
    old = read_manifest(folder) if is_sealed(folder) else {}
    meta = {}
    if "session.json" in files:
        try:
            meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # damaged: sealed as it is, listed by its folder name
            log.warning("%s: %s; sealed as it is", folder / "session.json", exc)
        meta = meta if isinstance(meta, dict) else {}
    check = x25519.Identity.generate()  # proves each file decrypts; never written anywhere
    keys = [x25519.Recipient.from_str(r) for r in recipients] + [check.to_public()]
    for rel in files:
        _seal_file(folder / rel, keys, check)
    del check
    scenario = meta.get("scenario")
    manifest = {
        "format": FORMAT,
        "session_id": meta.get("session_id") or old.get("session_id") or folder.name,
        "started_utc": meta.get("started_utc") or old.get("started_utc"),
        "ended_utc": meta.get("ended_utc") or old.get("ended_utc"),
        "scenario": (scenario.get("id") if isinstance(scenario, dict) else scenario) or old.get("scenario"),
        "sealed_utc": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "recipients": list(dict.fromkeys([*old.get("recipients", []), *recipients])),
        "files": sealed_files(folder),
        "how_to_open": "age-encrypted files (age-encryption.org/v1): vrex report/history/export --identity FILE",
    }
    from engine.session.folder import write_json_atomic  # fsyncs the rename

    write_json_atomic(folder / MANIFEST, manifest)
    for rel in files:
        (folder / rel).unlink()
    for rel in sorted({str(Path(r).parent) for r in files if "/" in r}, key=len, reverse=True):
        try:
            (folder / rel).rmdir()  # plots/: now empty
        except OSError:
            pass
    fsync_dir(folder)
    log.info("sealed %d file(s) of %s", len(files), folder)
    return files


def session_folders(root: str | Path, patient: str | None = None) -> list[Path]:
    """Session folders under ``root`` (of one patient, or all), sealed or not; links are not
    followed (a patient or session folder that is a link is not vrex's)."""
    root = Path(root)
    patients = [root / patient] if patient else (sorted(root.iterdir()) if root.is_dir() else [])
    out = []
    for p in patients:
        if not PATIENT_ID.fullmatch(p.name) or p.is_symlink() or not p.is_dir():
            continue
        out += [
            s
            for s in sorted(p.iterdir())
            if not s.is_symlink() and s.is_dir() and any((s / m).exists() for m in SESSION_MARKERS)
        ]
    return out


def pending(root: str | Path) -> list[Path]:
    """Session folders under ``root`` with files still in the clear."""
    return [s for s in session_folders(root) if plaintext_files(s)]


def last_change(folder: str | Path) -> float:
    """When a file of ``folder`` last changed (a running session writes every second)."""
    return max((p.lstat().st_mtime for p in Path(folder).rglob("*")), default=Path(folder).lstat().st_mtime)


def seal_at_end(folder: str | Path, recipients: list[str]) -> None:
    """Seal a session that has just ended (``vrex session``/``demo``); never raises: the
    plaintext stays, and the message says how to seal it later."""
    if not recipients:
        return
    try:
        files = seal_folder(folder, recipients)
        print(f"sealed: {len(files)} file(s) of {folder} (open with --identity)", flush=True)
    except Exception as exc:  # noqa: BLE001 — the recording must never be lost to a failed seal
        log.warning(
            "could not seal %s (%s); it is kept in the clear: run `vrex seal --pending --sessions %s`",
            folder,
            exc,
            Path(folder).parent.parent,
        )
