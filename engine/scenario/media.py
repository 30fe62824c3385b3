"""Is a sound or model file what its name says? Cheap header checks for ``vrex validate``.

A text file renamed ``.wav`` or a truncated ``.gltf`` used to pass validation and fail only
when the session started, in front of the patient. Reading a few bytes of each file catches
that at authoring time without an audio library or Panda3D (``vrex validate`` stays quick):

* sounds: RIFF/WAVE, OggS, fLaC, ID3 or an MPEG audio frame sync, whatever the suffix says
  (the audio loader sniffs the content too);
* models: ``.gltf`` must be JSON with an ``asset`` object, ``.glb`` must start with ``glTF``
  and say its own length, ``.bam`` must start with Panda3D's ``pbj\\0\\n\\r``, ``.egg`` must be
  text whose first entry is an ``<Entry>``;
* textures: a PNG's chunks are walked (checksums, a complete image stream, ``IEND``) and a
  JPEG's markers up to its frame header, and the file must end with ``EOI``; either must be
  at most ``MAX_TEXTURE_PIXELS`` a side.

Each returns '' when the file looks right, else what it looks like instead.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

# Size limits. A 10-minute 44.1 kHz stereo WAV is about 100 MiB; a sound is decoded whole into
# memory, so more than that is a mistake (or a film). Models are loaded whole on the render
# thread before the session starts; 256 MiB is far beyond any scene this engine draws.
MAX_SOUND_BYTES = 128 * 2**20
MAX_MODEL_BYTES = 256 * 2**20
MAX_GLTF_JSON_BYTES = 32 * 2**20  # a .gltf is parsed whole here: its buffers live elsewhere
HEAD_BYTES = 4096
# Textures are uploaded whole, with mipmaps, on the render thread: 4096² RGBA is 85 MiB with
# them, more than the software renderer should hold per image, and more detail than a
# headset's ~20 pixels per degree can show on any surface of a scene.
MAX_TEXTURE_PIXELS = 4096
MAX_TEXTURE_BYTES = 32 * 2**20
TEXTURE_FIX = (
    f"a PNG or JPEG image of at most {MAX_TEXTURE_PIXELS}×{MAX_TEXTURE_PIXELS} pixels and "
    f"{MAX_TEXTURE_BYTES // 2**20} MiB, saved again from an image editor (or a procedural texture such as 'facade')"
)

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


def texture_problem(path: Path) -> str:
    """'' when ``path`` is a whole PNG or JPEG within the limits, else what is wrong."""
    size = path.stat().st_size
    if size > MAX_TEXTURE_BYTES:
        return f"is {size / 2**20:,.0f} MiB, over the limit of {MAX_TEXTURE_BYTES // 2**20} MiB"
    data = path.read_bytes()
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        wrong, dims = _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        wrong, dims = _jpeg(data)
    else:
        return f"is not a PNG or JPEG image: it looks like {describe(data[:HEAD_BYTES])}"
    if wrong:
        return wrong
    w, h = dims
    if max(w, h) > MAX_TEXTURE_PIXELS:
        return f"is {w}×{h} pixels, over the limit of {MAX_TEXTURE_PIXELS} a side"
    if min(w, h) < 1:
        return f"is {w}×{h} pixels: an empty image"
    return ""


def _png(data: bytes) -> tuple[str, tuple[int, int]]:
    at, dims, stream, seen = 8, (0, 0), zlib.decompressobj(), False
    while at + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        body = data[at + 8 : at + 8 + length]
        if len(body) < length or at + 12 + length > len(data):
            break
        (crc,) = struct.unpack_from(">I", data, at + 8 + length)
        if zlib.crc32(kind + body) != crc:
            return f"is a damaged PNG: the {kind.decode('latin-1')!r} chunk at byte {at:,} fails its checksum", dims
        if kind == b"IHDR" and length >= 8:
            dims = struct.unpack_from(">II", body)
        elif kind == b"IDAT":
            seen = True
            try:  # inflate in slices: the pixels are checked, never held whole
                chunk = stream.decompress(body, 1 << 20)
                while stream.unconsumed_tail and chunk:
                    chunk = stream.decompress(stream.unconsumed_tail, 1 << 20)
            except zlib.error:
                return f"is a damaged PNG: its image data does not decompress (byte {at:,})", dims
        elif kind == b"IEND":
            if not seen or not stream.eof:
                return "is a damaged PNG: its image data stops early", dims
            return "", dims
        at += 12 + length
    return "is a cut-off PNG (no IEND chunk: the download or copy stopped early)", dims


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> tuple[str, tuple[int, int]]:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return f"is a damaged JPEG: no marker at byte {at:,}", (0, 0)
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack_from(">H", data, at + 2)
        if marker in _SOF and at + 9 <= len(data):
            h, w = struct.unpack_from(">HH", data, at + 5)
            if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
                return "is a cut-off JPEG (it does not end with the end-of-image marker)", (w, h)
            return "", (w, h)
        at += 2 + length
    return "is a damaged JPEG: no frame header (size) found", (0, 0)


def gltf_clips(path: Path) -> list[str]:
    """Names of the animation clips in a glTF (.gltf/.glb) file that ``model_problem`` passed.

    Read from the JSON, as the Actor names them (an unnamed clip is 'anim0', 'anim1', ...)."""
    data = path.read_bytes()
    if data[:4] == b"glTF":  # a .glb's first chunk is its JSON
        length = struct.unpack_from("<I", data, 12)[0] if len(data) >= 20 else 0
        data = data[20 : 20 + length]
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return []
    anims = doc.get("animations") if isinstance(doc, dict) else None
    if not isinstance(anims, list):
        return []
    return [str(a.get("name", f"anim{i}")) if isinstance(a, dict) else f"anim{i}" for i, a in enumerate(anims)]
