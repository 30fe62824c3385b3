"""Is a sound or model file what its name says? Cheap header checks for ``vrex validate``.

A text file renamed ``.wav`` or a truncated ``.gltf`` used to pass validation and fail only
when the session started, in front of the patient. Reading a few bytes of each file catches
that at authoring time without an audio library or Panda3D (``vrex validate`` stays quick):

* sounds: RIFF/WAVE, OggS, fLaC, ID3 or an MPEG audio frame sync, whatever the suffix says
  (the audio loader sniffs the content too);
* models: ``.gltf`` must be JSON with an ``asset`` object, ``.glb`` must start with ``glTF``
  and say its own length, ``.bam`` must start with Panda3D's ``pbj\\0\\n\\r``, ``.egg`` must be
  text whose first entry is an ``<Entry>``.

Each returns '' when the file looks right, else what it looks like instead.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

# Size limits. A 10-minute 44.1 kHz stereo WAV is about 100 MiB; a sound is decoded whole into
# memory, so more than that is a mistake (or a film). Models are loaded whole on the render
# thread before the session starts; 256 MiB is far beyond any scene this engine draws.
MAX_SOUND_BYTES = 128 * 2**20
MAX_MODEL_BYTES = 256 * 2**20
MAX_GLTF_JSON_BYTES = 32 * 2**20  # a .gltf is parsed whole here: its buffers live elsewhere
HEAD_BYTES = 4096

_KNOWN = (  # what a wrongly named file often really is, so the message can say so
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"glTF", "a binary glTF model"),
    (b"pbj\x00\n\r", "a Panda3D .bam model"),
    (b"RIFF", "a RIFF file that is not WAVE audio"),
    (b"OggS", "an Ogg file"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
)


def size_problem(path: Path, kind: str) -> str:
    """'' when ``path`` is within the size limit for a ``kind`` ('sound'/'model') file."""
    limit = MAX_SOUND_BYTES if kind == "sound" else MAX_MODEL_BYTES
    size = path.stat().st_size
    if size > limit:
        return f"{kind} file of {size / 2**20:,.0f} MiB is over the limit of {limit // 2**20} MiB"
    if size == 0:
        return f"{kind} file is empty (0 bytes)"
    return ""


def describe(head: bytes) -> str:
    """What the first bytes of a file look like, in words an author recognises."""
    if not head:
        return "an empty file"
    for magic, name in _KNOWN:
        if head.startswith(magic):
            return name
    if _is_mp3_sync(head):
        return "MP3 audio"
    if b"\x00" not in head:
        text = head.decode("utf-8", "replace")  # the head may cut a character in two
        if sum(c < " " and c not in "\t\r\n" for c in text) == 0:
            start = text.lstrip()[:24].splitlines()[0] if text.strip() else ""
            if start.startswith(("{", "[")):
                return f"JSON or other text starting '{start}'"
            if start.lower().startswith(("<!doctype html", "<html")):
                return "an HTML page (a download link saved instead of the file?)"
            return f"text starting '{start}'" if start else "blank text"
    return "binary data starting " + " ".join(f"{b:02x}" for b in head[:8])


def _is_mp3_sync(head: bytes) -> bool:
    # MPEG audio frame header: 11 set sync bits, a valid version and a layer that is not 'reserved'
    return (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0 and head[1] & 0x18 != 0x08
    )


def sound_problem(path: Path) -> str:
    """'' when ``path`` starts like a WAV, Ogg, FLAC or MP3 file, else what it looks like."""
    head = _head(path)
    if (
        head[:4] == b"RIFF"
        and head[8:12] == b"WAVE"
        or head[:4] in (b"OggS", b"fLaC")
        or head[:3] == b"ID3"
        or _is_mp3_sync(head)
    ):
        return ""
    return f"is not audio: it looks like {describe(head)}"


def model_problem(path: Path) -> str:
    """'' when ``path`` parses as the model format its suffix names, else what is wrong."""
    suffix = path.suffix.lower()
    head = _head(path)
    if suffix == ".gltf":
        return _gltf_problem(path, head)
    if suffix == ".glb":
        if head[:4] != b"glTF" or len(head) < 12:
            return f"is not a binary glTF (.glb) model: it looks like {describe(head)}"
        length = struct.unpack_from("<I", head, 8)[0]
        size = path.stat().st_size
        if length != size:  # the header states the whole file's length: a cut download
            return f"is a cut-off or padded .glb: its header says {length:,} bytes, the file has {size:,}"
        return ""
    if suffix == ".bam":
        return "" if head.startswith(b"pbj\x00\n\r") else f"is not a Panda3D .bam model: it looks like {describe(head)}"
    if suffix == ".egg":
        return _egg_problem(head)
    return ""


def _gltf_problem(path: Path, head: bytes) -> str:
    if head[:4] == b"glTF":
        return "is a binary glTF: name it .glb"
    if path.stat().st_size > MAX_GLTF_JSON_BYTES:
        return f".gltf JSON over {MAX_GLTF_JSON_BYTES // 2**20} MiB; keep geometry in .bin buffers or use .glb"
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"is not a glTF model: byte {exc.start:,} is not UTF-8 text (it looks like {describe(head)})"
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno}: {exc.msg})" if isinstance(exc, json.JSONDecodeError) else ""
        return f"is not a glTF model: not valid JSON{where}"
    if not isinstance(doc, dict) or not isinstance(doc.get("asset"), dict):
        return "is not a glTF model: the JSON has no \"asset\" object"
    return ""


def _egg_problem(head: bytes) -> str:
    if b"\x00" in head:
        return f"is not a Panda3D .egg model (egg files are text): it looks like {describe(head)}"
    text = head.decode("utf-8", "replace")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        if line.startswith("<"):
            return ""
        break
    return (
        f"is not a Panda3D .egg model (it should start with an <Entry> such as <CoordinateSystem>): "
        f"it looks like {describe(head)}"
    )


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEAD_BYTES)
