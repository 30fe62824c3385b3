"""The picture of what the patient sees, as the console's page gets it.

The renderer process puts a small copy of the left eye's image into an ``EyeShare`` block
five times a second (``engine/session/eyemirror.py``). Here, on the console server's own
thread (never the control loop's), ``EyeFeed`` reads the newest whole picture when it has
changed, encodes it as PNG and builds the WebSocket message once for every open page:

- PNG by hand (zlib and a few struct calls, as the format's spec lays it out) so the
  console needs nothing beyond the standard library and numpy; each row is filtered with
  PNG's "Up" filter, which makes a rendered scene's smooth areas compress well at zlib's
  fastest level;
- where the patient is asked to look (the gaze target) and where the head points, in the
  picture's own coordinates (``project``), so the page can draw the head's direction
  relative to the target on top of the picture, or an arrow at the edge when the target is
  out of view;
- how old the picture is: a renderer that stalls stops writing, and the page then shows
  the last picture as stale, with its age, never as live.
"""

from __future__ import annotations

import base64
import math
import struct
import time
import zlib
from typing import Any

import numpy as np

from engine.session.eyeshare import EyeShare, Picture

MAX_HZ = 10.0  # pictures encoded a second at most, however many pages are open
STALE_S = 1.0  # a picture older than this (5 missed) is shown as stale


def png(pixels: np.ndarray, level: int = 1) -> bytes:
    """(height, width, 3) uint8 RGB as a PNG file (8-bit truecolour, filter "Up" on every row)."""
    h, w = pixels.shape[:2]
    rows = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(h, w * 3)
    up = np.empty((h, w * 3 + 1), np.uint8)
    up[:, 0] = 2  # filter type 2: each byte minus the one above
    up[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=up[1:, 1:])  # uint8 arithmetic wraps, as PNG's filters do

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(up.tobytes(), level))
        + chunk(b"IEND", b"")
    )


def _basis(heading: float, pitch: float, roll: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The head's right, forward and up unit vectors in the rig's frame (x right, y forward,
    z up; heading turns left, pitch up, roll clockwise as Panda3D's HPR: heading about z,
    then pitch about the turned x, then roll about the turned y)."""
    h, p, r = (math.radians(v) for v in (heading, pitch, roll))
    ch, sh, cp, sp, cr, sr = math.cos(h), math.sin(h), math.cos(p), math.sin(p), math.cos(r), math.sin(r)
    rz = np.array([[ch, -sh, 0.0], [sh, ch, 0.0], [0.0, 0.0, 1.0]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    ry = np.array([[cr, 0.0, sr], [0.0, 1.0, 0.0], [-sr, 0.0, cr]])
    m = rz @ rx @ ry
    return m[:, 0], m[:, 1], m[:, 2]


def direction(heading: float, pitch: float) -> np.ndarray:
    """The unit vector looking at heading, pitch (deg) in the rig's frame."""
    h, p = math.radians(heading), math.radians(pitch)
    return np.array([-math.sin(h) * math.cos(p), math.cos(h) * math.cos(p), math.sin(p)])


def project(picture: Picture) -> dict[str, Any]:
    """Where the head points and where the gaze target is, in the picture: ``head_uv`` and
    ``target_uv`` as fractions of its width and height from the top left (``target_uv`` is
    None when the target is out of view), and ``target_dir``, the unit direction on the
    picture from the head's point toward the target (for an arrow when it is out of view;
    None when they coincide)."""
    tl, tr, tu, td = picture.tangents

    def uv(x: float, z: float) -> tuple[float, float]:
        return (x - tl) / (tr - tl), (tu - z) / (tu - td)

    right, forward, up = _basis(*picture.head)
    d = direction(*picture.gaze)
    x, y, z = float(d @ right), float(d @ forward), float(d @ up)
    head_uv = uv(0.0, 0.0)
    target_uv = None
    if y > 1e-6:
        u, v = uv(x / y, z / y)
        if 0.0 <= u <= 1.0 and 0.0 <= v <= 1.0:
            target_uv = (round(u, 4), round(v, 4))
    # on the picture, right is +u and up is -v; a target behind the head still has a side
    norm = math.hypot(x, z)
    target_dir = None if norm < 1e-9 else (round(x / norm, 4), round(-z / norm, 4))
    return {"head_uv": (round(head_uv[0], 4), round(head_uv[1], 4)), "target_uv": target_uv, "target_dir": target_dir}


def message(picture: Picture) -> dict[str, Any]:
    """The page's ``eye`` message for ``picture``: the PNG as a data: URI, and what it shows.
    (A data: URI because the page's content security policy allows images from nothing else.)"""
    off = picture.gaze_off_deg
    return {
        "type": "eye",
        "seq": picture.seq,
        "width": picture.width,
        "height": picture.height,
        "eye": "left" if picture.stereo else "mono",
        "frame": picture.frame,
        "image": "data:image/png;base64," + base64.b64encode(png(picture.pixels)).decode("ascii"),
        "written": picture.written,
        "period_s": round(picture.period_s, 2),
        "stale_s": round(max(STALE_S, 2.5 * picture.period_s), 2),  # a slowed mirror's pictures come less often
        "head": [round(v, 1) for v in picture.head],
        "gaze": [round(v, 1) for v in picture.gaze],
        "gaze_off_deg": round(off, 1) if math.isfinite(off) else None,
        **project(picture),
    }


class EyeFeed:
    """The newest picture's message, encoded once however many pages ask; on the server's
    event loop only (not thread-safe, and it need not be)."""

    def __init__(self, share: EyeShare, max_hz: float = MAX_HZ):
        self.share = share
        self.min_gap = 1.0 / max_hz
        self._seq = 0
        self._message: dict | None = None
        self._encoded_at = -math.inf

    def latest(self) -> dict | None:
        """The newest picture's message (without its age), re-encoded only when the block
        holds a newer picture and the last encoding is at least ``1/max_hz`` old."""
        now = time.monotonic()
        if self.share.seq != self._seq and now - self._encoded_at >= self.min_gap:
            picture = self.share.read(after=self._seq)
            if picture is not None:
                self._seq, self._message, self._encoded_at = picture.seq, message(picture), now
        return self._message

    def age(self) -> float | None:
        """Seconds since the newest picture was written (None: none yet)."""
        written = self.share.written
        return None if written <= 0.0 else round(max(0.0, time.monotonic() - written), 2)
