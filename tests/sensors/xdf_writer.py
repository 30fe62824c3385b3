"""A minimal XDF writer for tests (XDF 1.0 spec: magic, then tagged chunks).

Only what the tests need: numeric streams with explicit time stamps. The session recorder
writes real XDF files later; this lets the reader be tested without one.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def _varlen(n: int) -> bytes:
    if n < 256:
        return struct.pack("<BB", 1, n)
    if n < 2**32:
        return struct.pack("<BI", 4, n)
    return struct.pack("<BQ", 8, n)


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return _varlen(len(body)) + body


def write_xdf(path: Path, streams: list[dict]) -> None:
    """streams: [{'name', 'type', 'rate', 'times': (n,), 'values': (n, ch), 'labels', 'units'}]."""
    out = bytearray(b"XDF:")
    out += _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    for sid, s in enumerate(streams, start=1):
        values = np.asarray(s["values"], np.float32)
        channels = "".join(
            f"<channel><label>{lb}</label><unit>{u}</unit></channel>"
            for lb, u in zip(s.get("labels", []), s.get("units", []))
        )
        xml = (
            f'<?xml version="1.0"?><info><name>{s["name"]}</name><type>{s["type"]}</type>'
            f'<channel_count>{values.shape[1]}</channel_count><nominal_srate>{s["rate"]}</nominal_srate>'
            f'<channel_format>float32</channel_format><source_id>{s["name"]}-sid</source_id>'
            f'<desc><channels>{channels}</channels></desc></info>'
        )
        out += _chunk(2, struct.pack("<I", sid) + xml.encode())
        samples = bytearray(_varlen(len(values)))
        for t, row in zip(s["times"], values):
            samples += struct.pack("<Bd", 8, float(t)) + row.tobytes()
        out += _chunk(3, struct.pack("<I", sid) + bytes(samples))
    Path(path).write_bytes(bytes(out))
