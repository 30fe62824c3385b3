"""Read a YAML file into a tree that remembers where every value was written: the one safe
YAML reader of vrex (scenarios in ``engine.scenario``, populations and training configs in
``adaptation.config``, headset profiles), each with its own ``Limits``.

Files come from authors, e-mail and the internet, so this reader assumes nothing:

- it never constructs Python objects from tags: YAML's event stream is read and only the
  standard scalar types are resolved, so ``!!python/object`` is reported, never executed;
- it refuses files over ``Limits.max_bytes`` before reading them, nesting deeper than
  ``Limits.max_depth`` and more than ``Limits.max_values`` values once aliases are expanded
  (the "billion laughs" bomb), so time and memory stay bounded;
- it builds its own tree from parser events instead of calling PyYAML's recursive composer,
  whose C version can overflow the stack on deeply nested input;
- it reports duplicate keys, which PyYAML silently overwrites.

Every value carries a ``Mark`` (1-based line and column) for ``FILE:LINE:COL`` messages; a
value reached through an alias carries the alias's mark, what lies inside it the anchor's.
Problems go to a ``report(mark, what, expected, path)`` callback (``path``: the keys and
indices of the value concerned, or of the mapping for a key's problem), so each caller keeps
its own error type and wording of places. Scalars resolve as PyYAML's SafeLoader resolves
them (YAML 1.1: ``yes`` is true,
``1e-3`` is text); timestamps stay text; keys are the text as written (``on:`` is 'on').

This module reads the bytes, parses them and turns what the parser refuses into messages
with a place; the tree and ``Limits`` are ``yamlnodes.py``, the building of the tree from
the parser's events (tags, scalars, aliases, keys) is ``yamlbuild.py``.
"""

from __future__ import annotations

import stat
from pathlib import Path

import yaml

from vrexbase.yamlbuild import Abort, TreeBuilder, yaml_mark
from vrexbase.yamlnodes import KeyPath, Limits, Mark, Report, YMap, YNode, YScalar, YSeq, clip

__all__ = [
    "KeyPath",
    "Limits",
    "Mark",
    "Report",
    "YMap",
    "YNode",
    "YScalar",
    "YSeq",
    "clip",
    "parse_yaml",
    "read_yaml",
]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: fast
_ANY_FILE = Limits()  # the default limits (frozen: one instance serves every call)


def _read_bytes(path: Path, report: Report, limits: Limits) -> bytes | None:
    """At most max_bytes + 1 bytes of a regular file (a FIFO or device could be endless)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            report(Mark(1, 1), f"cannot read the file (it is {what})", f"the path of a .yaml {limits.kind} file")
            return None
        with path.open("rb") as f:
            data = f.read(limits.max_bytes + 1)
    except OSError as exc:
        report(Mark(1, 1), f"cannot read the file ({exc.strerror})", "check the path and its permissions")
        return None
    if len(data) > limits.max_bytes:
        size = max(info.st_size, len(data))
        report(
            Mark(1, 1),
            f"file is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes",
            f"a {limits.kind} is a few kilobytes of YAML{limits.large_data}",
        )
        return None
    return data


def _text_mark(text: str, index: int) -> Mark:
    line_start = text.rfind("\n", 0, index) + 1
    return Mark(text.count("\n", 0, index) + 1, index - line_start + 1)


def _flow_depth_mark(text: str, max_depth: int) -> Mark:
    """Where bracket nesting first passes max_depth (libyaml stops far deeper, at 1000)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "[{") - (ch in "]}")
        if depth > max_depth:
            return _text_mark(text, i)
    return Mark(1, 1)


def read_yaml(path: Path, report: Report, limits: Limits = _ANY_FILE) -> YNode | None:
    """The file's single document as a tree of ``YNode``, or ``None`` after reporting why not."""
    data = _read_bytes(path, report, limits)
    if data is None:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # editors count characters, not bytes
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        report(
            Mark(data.count(b"\n", 0, exc.start) + 1, col),
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the file as UTF-8",
        )
        return None
    return parse_yaml(text, report, limits)


def parse_yaml(text: str, report: Report, limits: Limits = _ANY_FILE) -> YNode | None:
    """``text``'s single document as a tree of ``YNode``, or ``None`` after reporting why not."""
    if not text.strip():
        report(Mark(1, 1), "file is empty", limits.expected)
        return None
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        report(Mark(1, 1), "file has only comments", limits.expected)
        return None
    try:
        return TreeBuilder(report, limits).build(yaml.parse(text, Loader=_Loader))
    except Abort:
        return None
    except yaml.reader.ReaderError as exc:  # control characters and the like
        index = exc.position
        if _Loader is not yaml.SafeLoader:  # libyaml counts bytes, editors characters
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        report(
            _text_mark(text, index),
            f"character U+{exc.character:04X} is not allowed in YAML"
            if isinstance(exc.character, int)
            else f"character {exc.character!r} is not allowed in YAML",
            "printable text only; delete the character",
        )
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = yaml_mark(mark) if mark else Mark(1, 1)
        if "nesting depth" in str(exc.problem):
            report(
                _flow_depth_mark(text, limits.max_depth),
                f"values nested more than {limits.max_depth} deep",
                "a flatter structure",
            )
            return None
        what = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.context and exc.problem and exc.context_mark:
            what += f" ({exc.context} at line {exc.context_mark.line + 1})"
        report(where, what, "valid YAML (check indentation, quotes and ':' after keys)")
        return None
    except yaml.YAMLError as exc:
        report(Mark(1, 1), f"YAML error: {' '.join(str(exc).split())}", "plain UTF-8 YAML text")
        return None
