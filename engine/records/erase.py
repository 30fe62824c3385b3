"""A patient's right to erasure: every session folder of theirs removed, and one line in the
sessions root's ``erasures.log`` that proves an erasure happened without saying whose.

The log line holds the date, a random erasure id (also printed, for the clinic's reply to
the patient) and counts; never the patient id, nor a hash of it (a pseudonym space is
small enough to hash every candidate). vrex keeps no other index of patients: a patient's
sessions are exactly the folder ``ROOT/<patient>/``. Reports or exports written elsewhere
with ``--out`` are the clinic's to delete (docs/security.md).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import VrexError
from engine.records.seal import PATIENT_ID, session_folders
from engine.session.private import open_append

log = logging.getLogger(__name__)

ERASURE_LOG = "erasures.log"  # never a patient folder: patient ids have no '.'


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    sessions: int
    files: int
    log: Path


def patient_folder(root: str | Path, patient: str) -> Path:
    """``ROOT/<patient>``; VrexError if the id is not one or nothing is held for it."""
    if not PATIENT_ID.fullmatch(patient):
        raise VrexError(f"patient id {patient!r} is not valid: 1 to 64 letters, digits, '-' or '_'")
    root = Path(root)
    folder = root / patient
    if folder.is_symlink():
        raise VrexError(f"{folder} is a symbolic link; vrex does not erase through links: remove the link by hand")
    if not folder.is_dir():
        raise VrexError(f"nothing held for patient {patient!r} under {root}: no folder {folder}")
    return folder


def erase_patient(root: str | Path, patient: str, now: datetime | None = None) -> Erasure:
    """Remove ``ROOT/<patient>`` and everything in it (sealed or not; links inside are
    removed, never followed), then log the erasure."""
    folder = patient_folder(root, patient)
    sessions = len(session_folders(root, patient))
    files = sum(len(names) for _, _, names in os.walk(folder))
    try:
        shutil.rmtree(folder)  # fd-based on Linux: a link swapped in meanwhile is not followed
    except OSError as exc:
        raise VrexError(f"could not erase all of {folder}: {exc.strerror or exc}; fix that and run again") from exc
    erasure_id = f"E-{secrets.token_hex(8)}"
    record = {
        "erased_utc": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "erasure_id": erasure_id,
        "sessions": sessions,
        "files": files,
    }
    path = Path(root) / ERASURE_LOG
    with open_append(path) as f:  # 0600, never through a link
        f.write((json.dumps(record) + "\n").encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    log.info("erasure %s: %d session(s)", erasure_id, sessions)
    return Erasure(erasure_id, sessions, files, path)
