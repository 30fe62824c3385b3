"""Checks on the files that model and sound entities name: a suffix this engine reads, a file
that exists next to the scenario, and content that is what its name says (``media`` looks,
``mediaload`` loads it as the session will).

Apart from ``entitychecks`` because it is the only check that reads other files from disk,
with its own failure modes (unreadable, truncated, the wrong format, a stereo positional sound).
"""

from __future__ import annotations

from pathlib import Path

from engine.scenario import media, mediaload
from engine.scenario.errors import Problems
from engine.scenario.spec import Entity, ScenarioSpec

MODEL_SUFFIXES = (".gltf", ".glb", ".bam", ".egg")
SOUND_SUFFIXES = (".wav", ".ogg", ".flac", ".mp3")


def check_file(e: Entity, spec: ScenarioSpec, p: Problems) -> None:
    """For a model or sound: report a suffix this engine does not read, a missing file, or content
    that is not what the name says (anything else is left alone)."""
    if e.type not in ("model", "sound"):
        return
    suffixes = MODEL_SUFFIXES if e.type == "model" else SOUND_SUFFIXES
    rel = Path(e["path"])
    full = spec.path.parent / rel
    if rel.suffix.lower() not in suffixes:
        p.add(
            e.marks["path"],
            f"'{rel}' is not a {e.type} file this engine reads",
            "a file ending in " + ", ".join(suffixes),
        )
    elif not full.is_file():
        p.add(
            e.marks["path"],
            f"{e.type} file '{rel}' does not exist (looked for {full})",
            "a path relative to the scenario file's folder",
        )
    else:
        _check_file_content(e, rel, full, p)


def _check_file_content(e: Entity, rel: Path, full: Path, p: Problems) -> None:
    """A file that exists but is not what its name says fails at session start otherwise."""
    try:
        wrong = media.size_problem(full, e.type) or (
            media.model_problem(full) if e.type == "model" else media.sound_problem(full)
        )
        channels = 0
        if not wrong:  # it looks right: now load it as the session will
            wrong, channels = mediaload.load_problem(full, e.type)
    except OSError as exc:
        wrong = f"cannot be read ({exc.strerror or exc})"
    if not wrong and e.type == "sound" and e.get("positional") and channels > 1:
        p.add(
            e.marks.get("positional", e.marks["path"]),
            f"sound file '{rel}' has {channels} channels; a positional sound is heard from one place",
            "a mono file, or 'positional: false'",
        )
    if wrong:
        fix = (
            "a glTF (.gltf/.glb) or Panda3D (.bam/.egg) model exported again from the modelling tool"
            if e.type == "model"
            else "a WAV, Ogg, FLAC or MP3 sound file"
        )
        p.add(e.marks["path"], f"{e.type} file '{rel}' {wrong}", fix)
