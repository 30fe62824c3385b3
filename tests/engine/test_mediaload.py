"""engine/scenario/mediaload.py: files are loaded by the session's own loaders, once per version.

Real files written here: a glTF triangle, a Panda3D .bam and .egg, WAVs made with ``wave``.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import wave
from pathlib import Path

import pytest
from panda3d.core import NodePath

from engine.scenario import mediaload

WIND = Path(__file__).resolve().parent / "scenarios" / "wind.wav"


def triangle_gltf(path: Path) -> Path:
    data = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
    doc = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [
            {"byteLength": len(data), "uri": "data:application/octet-stream;base64," + base64.b64encode(data).decode()}
        ],
        "bufferViews": [{"buffer": 0, "byteLength": len(data)}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]}
        ],
    }
    path.write_text(json.dumps(doc))
    return path


def test_models_that_load_pass_and_broken_ones_say_why(tmp_path):
    assert mediaload.load_problem(triangle_gltf(tmp_path / "tri.gltf"), "model") == ("", 0)
    bam = tmp_path / "node.bam"
    assert NodePath("thing").writeBamFile(str(bam))
    assert mediaload.load_problem(bam, "model") == ("", 0)
    # JSON with an asset object passes the header check, but its buffer is not there
    doc = json.loads((tmp_path / "tri.gltf").read_text())
    doc["buffers"][0]["uri"] = "missing.bin"
    (tmp_path / "nobin.gltf").write_text(json.dumps(doc))
    wrong, _ = mediaload.load_problem(tmp_path / "nobin.gltf", "model")
    assert wrong.startswith("cannot be loaded by the model loader ("), wrong
    (tmp_path / "bad.bam").write_bytes(b"pbj\x00\n\r" + bytes(200))
    wrong, _ = mediaload.load_problem(tmp_path / "bad.bam", "model")
    assert wrong.startswith("cannot be loaded by the model loader"), wrong


def test_sounds_are_decoded_and_a_cut_off_wav_is_caught(tmp_path):
    assert mediaload.load_problem(WIND, "sound") == ("", 1)
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(4 * 8000))
    assert mediaload.load_problem(stereo, "sound") == ("", 2)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(stereo.read_bytes()[: 44 + 4 * 2000])
    wrong, _ = mediaload.load_problem(cut, "sound")
    assert wrong == (
        "is cut off: its header promises 1.0 s of audio, the file holds 0.2 s (a download or copy that stopped early?)"
    )
    (tmp_path / "hdr.wav").write_bytes(stereo.read_bytes()[:30])  # not even a whole header
    wrong, _ = mediaload.load_problem(tmp_path / "hdr.wav", "sound")
    assert wrong.startswith("cannot be decoded by the audio loader"), wrong


def test_each_version_of_a_file_is_loaded_once(tmp_path, monkeypatch):
    path = triangle_gltf(tmp_path / "tri.gltf")
    calls = []
    real = mediaload._model
    monkeypatch.setattr(mediaload, "_model", lambda p: calls.append(p) or real(p))
    mediaload.load_problem(path, "model")
    mediaload.load_problem(path, "model")
    assert len(calls) == 1
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # saved again
    mediaload.load_problem(path, "model")
    assert len(calls) == 2


def test_files_over_the_load_limit_are_checked_by_header_only(tmp_path, monkeypatch):
    (tmp_path / "bad.bam").write_bytes(b"pbj\x00\n\r" + bytes(200))
    monkeypatch.setattr(mediaload, "LOAD_LIMIT_BYTES", 100)
    assert mediaload.load_problem(tmp_path / "bad.bam", "model") == ("", 0)


@pytest.mark.parametrize("kind", ["sound", "model"])
def test_a_missing_file_raises_oserror_for_the_loader_to_report(tmp_path, kind):
    with pytest.raises(OSError):
        mediaload.load_problem(tmp_path / "gone.wav", kind)
