"""The header checks that tell a real sound or model from a wrongly named file."""

from __future__ import annotations

import os
import struct

import pytest

from engine.scenario import media
from tests.conftest import TEST_SCENARIOS


@pytest.mark.parametrize(
    "head",
    [
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"OggS\x00\x02" + b"\x00" * 20,
        b"fLaC\x00\x00\x00\x22",
        b"ID3\x04\x00\x00\x00\x00\x00\x00",
        bytes([0xFF, 0xFB, 0x90, 0x64]),  # MPEG-1 layer III frame
    ],
)
def test_audio_headers_are_accepted(tmp_path, head):
    path = tmp_path / "sound.wav"
    path.write_bytes(head + b"\x00" * 64)
    assert media.sound_problem(path) == "" and media.size_problem(path, "sound") == ""


def test_the_shipped_test_sound_is_audio():
    assert media.sound_problem(TEST_SCENARIOS / "wind.wav") == ""


@pytest.mark.parametrize(
    "content,looks",
    [
        (b"hello, this is not a sound\n", "text starting 'hello, this is not a sou"),
        (b"<!DOCTYPE html><html>", "an HTML page"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "a RIFF file that is not WAVE audio"),  # a film
        (bytes([0xFF, 0xE9, 0x00]), "binary data"),  # a reserved MPEG layer: no sync
    ],
)
def test_what_is_not_audio_says_what_it_looks_like(tmp_path, content, looks):
    path = tmp_path / "sound.wav"
    path.write_bytes(content)
    problem = media.sound_problem(path)
    assert problem.startswith("is not audio") and looks in problem


def test_size_limits_and_empty_files(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert "empty" in media.size_problem(empty, "sound")
    big = tmp_path / "big.glb"
    with big.open("wb") as f:  # sparse: no disk is used for the gap
        f.truncate(media.MAX_MODEL_BYTES + 1)
    assert "over the limit of 256 MiB" in media.size_problem(big, "model")
    assert media.size_problem(big, "model") and os.path.getsize(big) == media.MAX_MODEL_BYTES + 1


def test_models_by_suffix(tmp_path):
    gltf = tmp_path / "m.gltf"
    gltf.write_text('{"asset": {"version": "2.0"}, "scenes": []}')
    assert media.model_problem(gltf) == ""
    gltf.write_text('{"asset": {"version": "2.0"}, ')
    assert "not valid JSON (line 1" in media.model_problem(gltf)
    glb = tmp_path / "m.glb"
    body = b"glTF" + struct.pack("<II", 2, 20) + b"\x00" * 8
    glb.write_bytes(body)
    assert media.model_problem(glb) == ""
    glb.write_bytes(body[:-4])
    assert "cut-off" in media.model_problem(glb)
    egg = tmp_path / "m.egg"
    egg.write_text("// made by hand\n\n<CoordinateSystem> { Z-up }\n")
    assert media.model_problem(egg) == ""
    egg.write_text("solid cube\n facet normal 0 0 1\n")  # an STL renamed .egg
    assert "should start with an <Entry>" in media.model_problem(egg)
    bam = tmp_path / "m.bam"
    bam.write_bytes(b"pbj\x00\n\r" + b"\x00" * 16)
    assert media.model_problem(bam) == ""
