"""Does a sound or model file actually load? The deep half of ``vrex validate``'s file checks.

``media`` reads a few bytes to tell a renamed text file from audio; this module runs the
loaders the session itself uses, so a file that passes here also loads in front of the patient:

* sounds are opened by Panda3D's ``MovieAudio`` (the decoder behind its OpenAL manager:
  WAV, Ogg Vorbis, FLAC, and MP3 through FFmpeg) and their first second is decoded. No audio
  device is needed, so this proves loadability on a machine without sound;
* models go through the scene's own loader: panda3d-gltf for .gltf/.glb, Panda3D's
  ``Loader`` for .bam/.egg, with the model cache off so a stale cached copy cannot hide a
  broken file.

Files over ``LOAD_LIMIT_BYTES`` (32 MiB) are checked by their headers only: loading one takes
seconds, and ``vrex view --watch`` validates on every save. Results are cached by path,
modification time and size, so an unchanged file is loaded once per process.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path
from typing import Self

log = logging.getLogger(__name__)

LOAD_LIMIT_BYTES = 32 * 2**20
_cache: dict[tuple[str, int, int, str], tuple[str, int]] = {}


def load_problem(path: Path, kind: str) -> tuple[str, int]:
    """('' or what went wrong, channels) after loading ``path`` as a ``kind`` ('sound'/'model')
    file; channels is the sound's channel count (0 for models and unknown)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, kind)
    if key not in _cache:
        if st.st_size > LOAD_LIMIT_BYTES:
            _cache[key] = ("", 0)
        else:
            _cache[key] = _sound(path) if kind == "sound" else (_model(path), 0)
    return _cache[key]


class _Captured:
    """Panda3D's own error lines while a loader runs: the reason to show, not terminal noise."""

    def __enter__(self) -> Self:
        from panda3d.core import LineStream, Notify

        self.stream = LineStream()
        Notify.ptr().setOstreamPtr(self.stream, False)
        return self

    def __exit__(self, *exc: object) -> None:
        from panda3d.core import Notify

        self.lines: list[str] = []
        while self.stream.isTextAvailable():
            self.lines.append(self.stream.getLine())
        Notify.ptr().setOstreamPtr(None, False)  # back to the default (stderr)

    def reason(self) -> str:
        # ':loader(error): X is not a valid BAM file.' -> 'X is not a valid BAM file'
        useful = [ln.split("): ", 1)[-1].rstrip(".") for ln in getattr(self, "lines", []) if "error" in ln]
        return f" ({useful[0][:160]})" if useful else ""


def _sound(path: Path) -> tuple[str, int]:
    from panda3d.core import Datagram, Filename, MovieAudio

    with _Captured() as panda:
        cursor = MovieAudio.get(Filename.fromOsSpecific(str(path))).open()
        if cursor is not None:
            rate, channels, length = cursor.audioRate(), cursor.audioChannels(), cursor.length()
            samples = Datagram()
            if rate > 0 and channels > 0:
                cursor.readSamples(min(rate, 48_000), samples)  # the first second decodes
    if cursor is None:
        return f"cannot be decoded by the audio loader{panda.reason()}", 0
    if rate <= 0 or channels <= 0 or not length > 0 or samples.getLength() == 0:
        return "holds no audio (no samples, or a rate or channel count of 0)", 0
    return _wav_cut_off(path), channels


def _wav_cut_off(path: Path) -> str:
    """Panda3D plays a cut-off WAV padded with silence; Python's ``wave`` sees the shortfall."""
    try:
        with wave.open(str(path), "rb") as w:
            frames, size = w.getnframes(), w.getsampwidth() * w.getnchannels()
            have = len(w.readframes(frames)) // max(size, 1)
            rate = w.getframerate()
    except (wave.Error, EOFError, ValueError):
        return ""  # not a plain PCM WAV (float, extensible, Ogg...): the decoder above decided
    if have < frames:
        return (
            f"is cut off: its header promises {frames / rate:.1f} s of audio, the file holds {have / rate:.1f} s "
            "(a download or copy that stopped early?)"
        )
    return ""


def _model(path: Path) -> str:
    try:
        with _Captured() as panda:
            if path.suffix.lower() in (".gltf", ".glb"):
                import contextlib
                import io

                import gltf  # the scene's own glTF loader (engine/scene/entities.py)

                said = io.StringIO()  # panda3d-gltf prints its warnings: keep validate's output to problems
                with contextlib.redirect_stdout(said):
                    node = gltf.load_model(str(path))
                if said.getvalue().strip():
                    log.debug("%s: %s", path, said.getvalue().strip())
            else:
                from panda3d.core import Filename, Loader, LoaderOptions

                options = LoaderOptions(LoaderOptions.LF_no_cache | LoaderOptions.LF_report_errors)
                node = Loader.getGlobalPtr().loadSync(Filename.fromOsSpecific(str(path)), options)
    except Exception as exc:  # any reader error is the file's, not the validator's
        log.debug("model %s failed to load", path, exc_info=True)
        text = " ".join(str(exc).split())[:160] or type(exc).__name__
        return f"cannot be loaded by the model loader ({text})"
    if node is None:
        return f"cannot be loaded by the model loader{panda.reason()}"
    return ""
