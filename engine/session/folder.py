"""The session folder (``docs/session-format.md``): where it goes, and ``session.json``.

``SessionFolder.create`` checks everything that could stop a session from being saved
before the session starts: a patient id that is safe as a folder name and pseudonymous in
form, and an output folder that can really be written (tried, not guessed from permission
bits, which say nothing to root). ``session.json`` is written atomically: a crash leaves
the old version or the new one, never half of one.

Health data: the folders made here are 0700 and session.json 0600 from their creation, and
session.json is written to a new file and renamed, never through a link
(``engine.session.private``).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import tempfile
import threading
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from engine.errors import VrexError
from engine.session.events import json_safe, utc_iso
from engine.session.private import fsync_dir, make_dir, write_file

FORMAT = "vrex-session/1"
_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCENARIO = re.compile(r"[A-Za-z0-9_.-]{1,64}")
PACKAGES = ("vrex", "numpy", "pylsl", "panda3d", "labrecorder", "pyxdf")


def check_patient(patient: str) -> str:
    """``patient`` if it is a usable pseudonymous id, else VrexError saying what to write."""
    if not isinstance(patient, str) or not _SAFE.fullmatch(patient):
        raise VrexError(
            f"patient id {patient!r} cannot be used: write 1 to 64 letters, digits, "
            f"'-' or '_' (a pseudonym such as P017 or demo; never a name)"
        )
    return patient


def check_writable(root: str | Path) -> Path:
    """Create ``root`` if needed and prove a file can be written in it; VrexError naming
    the folder and the system's reason (permission denied, read-only file system, not a
    directory, ...) otherwise. Call before the session starts, not when it ends."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise VrexError(f"cannot save sessions in {root}: it is a file, not a folder; choose another output folder")
    try:
        make_dir(root, exist_ok=True, parents=True, allow_link=True)  # a root vrex makes is private (0700)
        fd, probe = tempfile.mkstemp(prefix=".vrex-write-test-", dir=root)
        try:
            os.write(fd, b"vrex")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise VrexError(
            f"cannot save sessions in {root}: {exc.strerror or exc}; choose "
            f"another output folder or fix its permissions"
        ) from exc
    return root


def software_versions() -> dict[str, str | None]:
    """Installed versions (None if missing) from package metadata; imports none of them
    (importing panda3d would open a graphics pipe)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json_atomic(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one: a
    temporary file beside it, fsynced, renamed over it, and the folder fsynced."""
    text = json.dumps(json_safe(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_file(path, text.encode("utf-8"))  # 0600, a new file renamed over: never via a link
    fsync_dir(path.parent)  # the rename itself survives a power cut


class SessionFolder:
    """``root/<patient>/<YYYYmmdd-HHMMSS>-<scenario id>/`` and its ``session.json``."""

    def __init__(self, path: str | Path, metadata: dict | None = None):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._meta = metadata if metadata is not None else self.read_metadata()

    @property
    def session_id(self) -> str:
        return self.path.name

    @property
    def events(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def recording(self) -> Path:
        return self.path / "recording.xdf"

    @property
    def metadata(self) -> Path:
        return self.path / "session.json"

    @classmethod
    def create(
        cls, root: str | Path, patient: str, scenario_id: str, now: datetime | None = None, **fields: Any
    ) -> SessionFolder:
        """Make a new session folder and write its ``session.json`` at once.

        The folder is named from ``now`` (default: now; a naive datetime is local time) in
        UTC, the time in ``started_utc``, with ``-2``, ``-3``, ... if that name is taken.
        ``fields`` are the rest of session.json (mode, scenario, controller, ...); format,
        session_id and patient are set here; ended_utc, end_reason (None) and software
        (``software_versions()``) unless given.
        """
        fixed = {"format", "session_id", "patient", "started_utc"} & set(fields)
        if fixed:
            raise ValueError(f"session.json's {', '.join(sorted(fixed))} are set by SessionFolder.create itself")
        check_patient(patient)
        if not isinstance(scenario_id, str) or not _SCENARIO.fullmatch(scenario_id):
            raise VrexError(
                f"scenario id {scenario_id!r} cannot name a session folder: it "
                f"needs 1 to 64 letters, digits, '.', '-' or '_' (fix the "
                f"scenario file's id)"
            )
        now = (now or datetime.now(UTC)).astimezone(UTC)
        parent = check_writable(root) / patient
        try:
            make_dir(parent, exist_ok=True)
            base = f"{now:%Y%m%d-%H%M%S}-{scenario_id}"
            for n in range(1, 1000):
                path = parent / (base if n == 1 else f"{base}-{n}")
                try:
                    make_dir(path)  # atomic: two vrex at once never share one
                    break
                except FileExistsError:
                    continue
            else:
                raise VrexError(f"999 sessions named {base} already exist in {parent}")
            meta = {
                "format": FORMAT,
                "session_id": path.name,
                "patient": patient,
                "started_utc": utc_iso(now),
                "ended_utc": None,
                "end_reason": None,
                **fields,
            }
            meta.setdefault("software", software_versions())
            folder = cls(path, meta)
            write_json_atomic(folder.metadata, meta)
        except OSError as exc:
            raise VrexError(f"cannot create the session folder in {parent}: {exc.strerror or exc}") from exc
        return folder

    def read_metadata(self) -> dict:
        """``session.json`` as it is on disk; VrexError if missing or not JSON."""
        try:
            data = json.loads(self.metadata.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise VrexError(f"{self.path} is not a session folder: it has no session.json") from None
        except (OSError, ValueError) as exc:
            raise VrexError(f"cannot read {self.metadata}: {exc}") from exc
        if not isinstance(data, dict):
            raise VrexError(f"{self.metadata} is not a JSON object")
        return data

    @property
    def info(self) -> dict:
        """A copy of the metadata as last written."""
        with self._lock:
            return json.loads(json.dumps(json_safe(self._meta)))

    def update(self, **fields: Any) -> dict:
        """Set top-level keys of session.json and rewrite it atomically; returns the whole."""
        with self._lock:
            meta = {**self._meta, **fields}
            try:
                write_json_atomic(self.metadata, meta)
            except OSError as exc:
                raise VrexError(f"cannot write {self.metadata}: {exc.strerror or exc}") from exc
            self._meta = meta
            return json.loads(json.dumps(json_safe(meta)))

    def end(self, reason: str, now: datetime | None = None) -> dict:
        """Record a normal end: ``ended_utc`` and ``end_reason``."""
        return self.update(ended_utc=utc_iso(now), end_reason=reason)

    def __repr__(self) -> str:
        return f"<SessionFolder {self.path}>"
