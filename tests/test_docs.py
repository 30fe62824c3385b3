"""The design notes the code cites are in the repository, and say what the code cites them for.

Comments and docstrings name notes (``clinical.md``, ``docs/architecture.md``, "(clinical.md,
Physiology)", "(docs/clinical.md, "What the software must never do")"). A user's checkout has
only this repository, so every note named must be here, a path must lead to it, a quoted
phrase or a section named after it must be found in it, and nothing may send a reader to the
team's own folders outside the repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "sensors", "adaptation", "vrexbase")
SOURCE_SUFFIXES = {".py", ".yaml", ".md"}
# a note's name, with the path written before it if any (``docs/session-format.md``)
NOTE = re.compile(r"(?<![\w./-])((?:\.\./|[\w-]+/)*)([a-z][a-z_-]*\.md)\b")
# "NOTE.md, "phrase"", "NOTE.md: "phrase"", "NOTE.md's "phrase""
QUOTED = re.compile(r"([a-z][a-z_-]*\.md)(?:'s)?(?:,|:)?\s+\(?\"([^\"]{2,80})\"")
# "(NOTE.md, Section)", "NOTE.md (Section)", "(NOTE.md, Section; ...)"
SECTION = re.compile(r"([a-z][a-z_-]*\.md)(?:,\s*|\s*\()([A-Z][A-Za-z ]*[A-Za-z])\s*[;)]")
# "(NOTE.md: Author 2020, "phrase", ...)": every quoted phrase inside the parenthesis
PAREN = re.compile(r"\(([a-z][a-z_-]*\.md)[,:]([^()]*)\)")
# ""phrase" (NOTE.md)"
BEFORE = re.compile(r"\"([^\"]{2,80})\" \(([a-z][a-z_-]*\.md)\)")
# written in two pieces so that this file does not match itself
OUTSIDE = "../" + "shared/"
SKIPPED = {"__pycache__", "out", "vrex.egg-info", "node_modules"}


def _files(top: Path, suffixes: set[str] | None = None) -> list[Path]:
    """Files under ``top``, without hidden folders, caches and build output (a stale .pyc
    still holds the docstrings of before)."""
    found = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED)
        found += [Path(folder, n) for n in sorted(names) if suffixes is None or Path(n).suffix in suffixes]
    return found


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in _files(ROOT / pkg, SOURCE_SUFFIXES)]


def _flat(text: str) -> str:
    """Text as one line: comment leaders and line breaks become single spaces, so that a
    phrase a comment wraps over two lines is found as written."""
    text = re.sub(r"\n[ \t]*(?:#[ \t]*)?", " ", text)
    return re.sub(r"[ \t]+", " ", text)


def _repo_notes() -> dict[str, list[Path]]:
    """Every Markdown file of the repository by its name (docs/ first)."""
    notes: dict[str, list[Path]] = {}
    for path in sorted(_files(ROOT, {".md"}), key=lambda p: (p.parent != ROOT / "docs", str(p))):
        notes.setdefault(path.name, []).append(path)
    return notes


def _resolve(prefix: str, name: str, source: Path, notes: dict[str, list[Path]]) -> Path | None:
    """The note a citation means: a written path from the repository root or from the
    citing file's folder; a bare name: docs/NAME, else the repository's file of that name."""
    if prefix:
        for base in (ROOT, source.parent):
            candidate = (base / prefix / name).resolve()
            if candidate.is_file() and ROOT in candidate.parents:
                return candidate
        return None
    found = notes.get(name)
    return found[0] if found else None


def _citations():
    notes = _repo_notes()
    for source in _sources():
        text = source.read_text(encoding="utf-8")
        rel = source.relative_to(ROOT).as_posix()
        for m in NOTE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            yield rel, line, m.group(1), m.group(2), _resolve(m.group(1), m.group(2), source, notes)


def test_every_note_the_code_names_is_in_the_repository():
    missing = [f"{rel}:{line}: {prefix}{name}" for rel, line, prefix, name, found in _citations() if found is None]
    assert missing == [], (
        "these notes are named in comments or docstrings but are not in the repository "
        "(put the note in docs/, or correct the path):\n" + "\n".join(missing)
    )


def test_the_two_design_notes_are_in_docs_and_cited():
    cited = {name for _, _, _, name, found in _citations() if found is not None}
    for name in ("clinical.md", "architecture.md"):
        assert (ROOT / "docs" / name).is_file(), f"docs/{name} is missing"
        assert name in cited, f"nothing cites docs/{name} any more: is it still the code's reference?"


def test_cited_phrases_and_sections_are_in_the_note():
    notes = _repo_notes()
    unmatched = []
    for source in _sources():
        flat = _flat(source.read_text(encoding="utf-8"))
        rel = source.relative_to(ROOT).as_posix()
        cited = [m.groups() for pattern in (QUOTED, SECTION) for m in pattern.finditer(flat)]
        cited += [(m.group(1), q) for m in PAREN.finditer(flat) for q in re.findall(r'"([^"]{2,80})"', m.group(2))]
        cited += [(m.group(2), m.group(1)) for m in BEFORE.finditer(flat)]
        for name, phrase in sorted(set(cited)):
            note = _resolve("", name, source, notes)
            if note is None:
                continue  # the test above names it
            body = _flat(note.read_text(encoding="utf-8")).replace("*", "").lower()
            if phrase.replace("*", "").lower() not in body:
                unmatched.append(f'{rel}: {name}, "{phrase}"')
    assert unmatched == [], "cited, but not found in the note:\n" + "\n".join(unmatched)


def test_nothing_points_outside_the_repository():
    places = [ROOT / p for p in (*PACKAGES, "tests", "docs")]
    files = [f for top in places for f in _files(top)] + [ROOT / "README.md"]
    needle = OUTSIDE.encode()
    hits = [f.relative_to(ROOT).as_posix() for f in files if needle in f.read_bytes()]
    assert hits == [], f"{OUTSIDE} is the team's folder, not the user's: cite docs/ instead in " + ", ".join(hits)
