"""A minimal XDF writer for tests: a file header, then each stream's header, samples and
footer, as the XDF specification lays chunks out (varlen length, 2-byte tag, content).
Enough for pyxdf and the report to read float32 streams without LSL or LabRecorder."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def _chunk(tag: int, content: bytes) -> bytes:
    return b"\x08" + struct.pack("<QH", len(content) + 2, tag) + content


def _varlen(n: int) -> bytes:
    return b"\x04" + struct.pack("<I", n)


def write_xdf(path: Path, streams: list[tuple[str, str, np.ndarray, np.ndarray]]) -> Path:
    """``streams``: (name, type, stamps (n,), values (n, channels) float32)."""
    out = [b"XDF:", _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')]
    for sid, (name, kind, stamps, values) in enumerate(streams, start=1):
        values = np.asarray(values, np.float32).reshape(len(stamps), -1)
        header = (
            f'<?xml version="1.0"?><info><name>{name}</name><type>{kind}</type>'
            f"<channel_count>{values.shape[1]}</channel_count><nominal_srate>0</nominal_srate>"
            f"<channel_format>float32</channel_format><source_id>{name}-test</source_id>"
            "<created_at>0</created_at></info>"
        ).encode()
        out.append(_chunk(2, struct.pack("<I", sid) + header))
        body = b"".join(b"\x08" + struct.pack("<d", t) + row.tobytes() for t, row in zip(stamps, values))
        out.append(_chunk(3, struct.pack("<I", sid) + _varlen(len(stamps)) + body))
        footer = (
            f'<?xml version="1.0"?><info><first_timestamp>{stamps[0]}</first_timestamp>'
            f"<last_timestamp>{stamps[-1]}</last_timestamp><sample_count>{len(stamps)}</sample_count>"
            "</info>"
        ).encode()
        out.append(_chunk(6, struct.pack("<I", sid) + footer))
    path.write_bytes(b"".join(out))
    return path
