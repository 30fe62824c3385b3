"""Write ``two_bone.gltf``: the smallest skinned, animated glTF the Actor tests need.

A 0.1 × 0.1 × 2 m bar standing on the origin (glTF is y-up: the loader turns it z-up),
skinned to two joints ('root' at the foot, 'tip' at 1 m; the upper half follows 'tip'), and
one clip, 'wave', that bends 'tip' about x by 90° × sin(π t) over 1 s, so the angle at any
frame says how far the clip has played. Written by hand with numpy (the buffer is embedded
as base64 so the asset is one file): pygltflib would only wrap the same dictionaries.

A key per frame (30 fps): panda3d-gltf 1.3.0 does not interpolate between keys (its lerp
factor is clamped at 1, so each frame takes the next key's value); with a key on every
frame that sampling is exact.

    .venv/bin/python tests/data/make_two_bone_gltf.py     # rewrites tests/data/two_bone.gltf
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
FLOAT, USHORT, UBYTE = 5126, 5123, 5121
FPS = 30  # panda3d-gltf samples clips at 30 frames a second


def angle_deg(t: np.ndarray | float) -> np.ndarray | float:
    """How far 'tip' is bent (deg, about x) at ``t`` s into 'wave'."""
    return 90.0 * np.sin(np.pi * np.asarray(t))


def _bar() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions, normals, joints, weights and indices of a bar in 4 rings (z = 0, 0.5, 1.5, 2)."""
    h = 0.05
    square = [(-h, -h), (h, -h), (h, h), (-h, h)]
    pos, nrm, jnt, wgt = [], [], [], []
    for up in (0.0, 0.5, 1.5, 2.0):
        for x, z in square:
            pos.append((x, up, z))
            nrm.append((x / h / math.sqrt(2), 0.0, z / h / math.sqrt(2)))
            jnt.append((0 if up < 1 else 1, 0, 0, 0))
            wgt.append((1.0, 0.0, 0.0, 0.0))
    idx = []
    for ring in range(3):
        for k in range(4):
            a, b = ring * 4 + k, ring * 4 + (k + 1) % 4
            idx += [a, b, b + 4, a, b + 4, a + 4]
    return (
        np.array(pos, np.float32),
        np.array(nrm, np.float32),
        np.array(jnt, np.uint8),
        np.array(wgt, np.float32),
        np.array(idx, np.uint16),
    )


def build() -> dict:
    pos, nrm, jnt, wgt, idx = _bar()
    # inverse bind matrices (column-major): root at the origin, tip 1 m up
    ibm = np.stack([np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32)])
    ibm[1, 1, 3] = -1.0
    ibm = np.ascontiguousarray(ibm.transpose(0, 2, 1))
    times = (np.arange(FPS + 1) / FPS).astype(np.float32)
    half = np.radians(angle_deg(times.astype(float))) / 2
    rots = np.stack([np.sin(half), 0 * half, 0 * half, np.cos(half)], 1).astype(np.float32)  # xyzw
    blobs = [pos, nrm, jnt, wgt, idx, ibm, times, rots]
    data, views = b"", []
    for blob in blobs:
        raw = blob.tobytes()
        views.append({"buffer": 0, "byteOffset": len(data), "byteLength": len(raw)})
        data += raw + b"\x00" * (-len(raw) % 4)
    views[4]["target"] = 34963  # ELEMENT_ARRAY_BUFFER
    for v in views[:4]:
        v["target"] = 34962  # ARRAY_BUFFER

    def acc(view: int, ctype: int, count: int, kind: str, **extra: object) -> dict:
        return {"bufferView": view, "componentType": ctype, "count": count, "type": kind, **extra}

    accessors = [
        acc(0, FLOAT, len(pos), "VEC3", min=pos.min(0).tolist(), max=pos.max(0).tolist()),
        acc(1, FLOAT, len(nrm), "VEC3"),
        acc(2, UBYTE, len(jnt), "VEC4"),
        acc(3, FLOAT, len(wgt), "VEC4"),
        acc(4, USHORT, len(idx), "SCALAR"),
        acc(5, FLOAT, 2, "MAT4"),
        acc(6, FLOAT, len(times), "SCALAR", min=[0.0], max=[1.0]),
        acc(7, FLOAT, len(rots), "VEC4"),
    ]
    uri = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    return {
        "asset": {"version": "2.0", "generator": "tests/data/make_two_bone_gltf.py"},
        "scene": 0,
        "scenes": [{"nodes": [0, 1]}],
        "nodes": [
            {"name": "bar", "mesh": 0, "skin": 0},
            {"name": "root", "children": [2]},
            {"name": "tip", "translation": [0.0, 1.0, 0.0]},
        ],
        "meshes": [
            {
                "primitives": [
                    {
                        "attributes": {"POSITION": 0, "NORMAL": 1, "JOINTS_0": 2, "WEIGHTS_0": 3},
                        "indices": 4,
                    }
                ]
            }
        ],
        "skins": [{"joints": [1, 2], "inverseBindMatrices": 5, "skeleton": 1}],
        "animations": [
            {
                "name": "wave",
                "samplers": [{"input": 6, "output": 7, "interpolation": "LINEAR"}],
                "channels": [{"sampler": 0, "target": {"node": 2, "path": "rotation"}}],
            }
        ],
        "buffers": [{"byteLength": len(data), "uri": uri}],
        "bufferViews": views,
        "accessors": accessors,
    }


if __name__ == "__main__":
    (HERE / "two_bone.gltf").write_text(json.dumps(build(), indent=1) + "\n")
