"""Right of access: everything vrex holds about one patient, decrypted, in one archive.

That is every session folder under ``ROOT/<patient>/`` (vrex keeps no other index of
patients), each file decrypted with the identity where sealed, plus ``export.json`` listing
what is inside. The archive (.zip, .tar, .tar.gz) is written 0600 to a new file and renamed
into place, never through a link; an existing file is not overwritten.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import VrexError
from engine.records.erase import patient_folder
from engine.records.keyfiles import identity_path
from engine.records.seal import is_sealed, session_folders
from engine.records.unseal import opened, sealed_message
from engine.session.private import create_new, make_dir

FORMATS = {".zip": "zip", ".tar": "tar", ".gz": "tar.gz", ".tgz": "tar.gz"}


def _files(folder: Path) -> list[tuple[Path, str]]:
    """Regular files under ``folder`` (links are not followed: a planted link is not data)."""
    out = []
    for here, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(here, d))]
        for name in sorted(names):
            path = Path(here, name)
            if path.is_file() and not path.is_symlink():
                out.append((path, path.relative_to(folder).as_posix()))
    return out


class _Archive:
    def __init__(self, f, kind: str):
        self.kind = kind
        self.z = zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) if kind == "zip" else None
        self.t = tarfile.open(fileobj=f, mode="w:gz" if kind == "tar.gz" else "w") if kind != "zip" else None

    def add(self, path: Path, name: str) -> None:
        self.z.write(path, name) if self.z else self.t.add(path, name, recursive=False)

    def add_bytes(self, data: bytes, name: str) -> None:
        if self.z:
            self.z.writestr(name, data)
        else:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now().timestamp())
            self.t.addfile(info, io.BytesIO(data))

    def close(self) -> None:
        (self.z or self.t).close()


def export_patient(root: str | Path, patient: str, out: str | Path, identity: str | Path | None = None) -> dict:
    """Write the archive ``out``; returns what ``export.json`` in it says."""
    out = Path(out)
    kind = FORMATS.get(out.suffix.lower())
    if kind is None or (out.suffix.lower() == ".gz" and not out.name.lower().endswith(".tar.gz")):
        raise VrexError(f"--out {out}: name the archive .zip, .tar or .tar.gz")
    if os.path.lexists(out):
        raise VrexError(f"{out} already exists: vrex does not overwrite it; choose another name")
    if out.resolve().is_relative_to(Path(root).resolve()):
        raise VrexError(
            f"--out {out} is inside the sessions folder {root}: the archive holds the records decrypted (and in a "
            f"session folder it would take itself in); write it to a private folder outside {root}"
        )
    patient_folder(root, patient)
    folders = session_folders(root, patient)
    sealed = [f for f in folders if is_sealed(f)]
    if sealed and identity_path(identity) is None:
        raise VrexError(sealed_message(sealed[0]))
    make_dir(out.parent, exist_ok=True, parents=True, allow_link=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
    index = {
        "patient": patient,
        "exported_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(Path(root).resolve()),
        "what": "every session vrex holds for this patient (its whole folder, decrypted where sealed)",
        "sessions": [],
    }
    try:
        with os.fdopen(create_new(tmp), "wb") as f:
            archive = _Archive(f, kind)
            for folder in folders:
                with opened(folder, identity) as plain:
                    names = []
                    for path, rel in _files(plain):
                        archive.add(path, f"{patient}/{folder.name}/{rel}")
                        names.append(rel)
                index["sessions"].append({"session_id": folder.name, "sealed": folder in sealed, "files": names})
            archive.add_bytes(json.dumps(index, indent=2).encode("utf-8"), f"{patient}/export.json")
            archive.close()
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return index
