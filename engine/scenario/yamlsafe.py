"""Read a YAML file into plain data that remembers where every value was written.

Scenario files come from authors, e-mail and the internet, so this reader assumes nothing:

- it never constructs Python objects from tags: YAML's event stream is read and only the
  standard scalar types are resolved, so ``!!python/object`` is reported, never executed;
- it refuses files over ``MAX_BYTES`` before reading them, nesting deeper than
  ``MAX_DEPTH`` and more than ``MAX_VALUES`` values once aliases are expanded (the
  "billion laughs" bomb), so time and memory stay bounded;
- it builds its own tree from parser events instead of calling PyYAML's recursive composer,
  whose C version can overflow the stack on deeply nested input;
- it reports duplicate keys, which PyYAML silently overwrites.

Every value carries a ``Mark`` (1-based line and column) for ``FILE:LINE:COL`` messages.
"""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from engine.scenario.errors import Mark, Problems

MAX_BYTES = 1 << 20  # a real scenario is a few kilobytes; 1 MiB is far beyond any
MAX_DEPTH = 32  # the format nests about 8 levels deep
MAX_VALUES = 200_000  # values after alias expansion

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: fast
_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}


@dataclass(eq=False)
class YScalar:
    value: Any  # str, int, float, bool or None
    mark: Mark
    size: int = 1
    text: str = ""  # as written: '1.10' stays '1.10' where text is wanted


@dataclass(eq=False)
class YSeq:
    items: list["YNode"]
    mark: Mark
    size: int = 1


@dataclass(eq=False)
class YMap:
    # key -> (mark of the key, value)
    entries: dict[str, tuple[Mark, "YNode"]] = field(default_factory=dict)
    mark: Mark = Mark(1, 1)
    size: int = 1


YNode = Union[YScalar, YSeq, YMap]


def _mark(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def _clip(text: str, limit: int = 60) -> str:
    """Long values are shortened in messages, so a hostile file cannot flood the terminal."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


class _Abort(Exception):
    """Stops reading after a problem that makes the rest of the file meaningless."""


def _read_bytes(path: Path, problems: Problems) -> bytes | None:
    """At most MAX_BYTES + 1 bytes of a regular file (a FIFO or device could be endless)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            problems.add(Mark(1, 1), f"cannot read the file (it is {what})", "the path of a .yaml scenario file")
            return None
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        problems.add(Mark(1, 1), f"cannot read the file ({exc.strerror})", "check the path and its permissions")
        return None
    if len(data) > MAX_BYTES:
        size = max(info.st_size, len(data))
        problems.add(
            Mark(1, 1),
            f"file is {size:,} bytes, over the limit of {MAX_BYTES:,}",
            "a scenario is a few kilobytes of YAML; put large data in model files",
        )
        return None
    return data


def _text_mark(text: str, index: int) -> Mark:
    line_start = text.rfind("\n", 0, index) + 1
    return Mark(text.count("\n", 0, index) + 1, index - line_start + 1)


def _flow_depth_mark(text: str) -> Mark:
    """Where bracket nesting first passes MAX_DEPTH (libyaml stops far deeper, at 1000)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "[{") - (ch in "]}")
        if depth > MAX_DEPTH:
            return _text_mark(text, i)
    return Mark(1, 1)


def read_yaml(path: Path, problems: Problems) -> YNode | None:
    """The file's single document as a tree of ``YNode``, or ``None`` with ``problems`` filled."""
    data = _read_bytes(path, problems)
    if data is None:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # editors count characters, not bytes
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        problems.add(
            Mark(data.count(b"\n", 0, exc.start) + 1, col),
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            "save the file as UTF-8",
        )
        return None
    if not text.strip():
        problems.add(
            Mark(1, 1), "file is empty", "a scenario mapping with 'format', 'scenario', 'levels' and 'entities'"
        )
        return None
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        problems.add(
            Mark(1, 1),
            "file has only comments",
            "a scenario mapping with 'format', 'scenario', 'levels' and 'entities'",
        )
        return None
    try:
        return _Builder(problems).build(text)
    except _Abort:
        return None
    except yaml.reader.ReaderError as exc:  # control characters and the like
        index = exc.position
        if _Loader is not yaml.SafeLoader:  # libyaml counts bytes, editors characters
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        problems.add(
            _text_mark(text, index),
            f"character U+{exc.character:04X} is not allowed in YAML"
            if isinstance(exc.character, int)
            else f"character {exc.character!r} is not allowed in YAML",
            "printable text only; delete the character",
        )
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _mark(mark) if mark else Mark(1, 1)
        if "nesting depth" in str(exc.problem):
            problems.add(
                _flow_depth_mark(text),
                f"values nested more than {MAX_DEPTH} deep",
                "a flatter structure; the scenario format nests about 8 levels",
            )
            return None
        what = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.context and exc.problem and exc.context_mark:
            what += f" ({exc.context} at line {exc.context_mark.line + 1})"
        problems.add(where, what, "valid YAML (check indentation, quotes and ':' after keys)")
        return None
    except yaml.YAMLError as exc:
        problems.add(Mark(1, 1), f"YAML error: {' '.join(str(exc).split())}", "plain UTF-8 YAML text")
        return None


class _Builder:
    """Builds the tree from parser events with an explicit stack (no recursion)."""

    def __init__(self, problems: Problems):
        self.problems = problems
        self.anchors: dict[str, YNode] = {}
        self.total = 0
        self.resolver = Resolver()

    def build(self, text: str) -> YNode | None:
        # Each stack frame: [node, pending_key, pending_key_mark, anchor]
        stack: list[list[Any]] = []
        root: YNode | None = None
        documents = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._fail(
                        _mark(event.start_mark), "a second YAML document ('---') in one file", "one scenario per file"
                    )
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node, _, _, anchor = stack.pop()
                if anchor:
                    self.anchors[anchor] = node
                root = self._attach(stack, node, root)
                continue
            mark = _mark(event.start_mark)
            if isinstance(event, yaml.AliasEvent):
                target = self.anchors.get(event.anchor)
                if target is None:
                    self._fail(
                        mark,
                        f"alias '*{event.anchor}' refers to no finished anchor",
                        f"define '&{event.anchor}' on a value before this point, outside it",
                    )
                self._count(target.size, mark)
                root = self._attach(stack, target, root)
                continue
            self._check_tag(event, mark)
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.ScalarEvent):
                self._count(1, mark)
                node = YScalar(self._resolve(event, mark), mark, text=event.value)
                if anchor:
                    self.anchors[anchor] = node
                root = self._attach(stack, node, root)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    self._fail(
                        mark,
                        f"values nested more than {MAX_DEPTH} deep",
                        "a flatter structure; the scenario format nests about 8 levels",
                    )
                self._count(1, mark)
                node = YSeq([], mark) if isinstance(event, yaml.SequenceStartEvent) else YMap({}, mark)
                stack.append([node, None, None, anchor])
        return root

    def _attach(self, stack: list[list[Any]], node: YNode, root: YNode | None) -> YNode | None:
        if not stack:
            return node
        frame = stack[-1]
        parent = frame[0]
        parent.size += node.size
        if isinstance(parent, YSeq):
            parent.items.append(node)
        elif frame[1] is None and frame[2] is None:  # this node is a key
            if not isinstance(node, YScalar):
                self.problems.add(node.mark, "a list or mapping used as a key", "a plain name as the key")
                frame[1], frame[2] = "", node.mark
            else:
                frame[1] = node.text  # 'on:' is the key 'on', not True
                frame[2] = node.mark
        else:
            key, key_mark = frame[1], frame[2]
            frame[1] = frame[2] = None
            if key == "<<":
                self.problems.add(
                    key_mark,
                    "merge keys ('<<') are not supported",
                    "write the keys out, or put an anchor on a whole value",
                )
            elif key in parent.entries:
                first = parent.entries[key][0]
                self.problems.add(
                    key_mark,
                    f"duplicate key '{_clip(key)}' (first written at line {first.line})",
                    "each key once per mapping; delete or rename one of them",
                )
            else:
                parent.entries[key] = (key_mark, node)
        return root

    def _check_tag(self, event: Any, mark: Mark) -> None:
        tag = getattr(event, "tag", None)
        if tag is None or tag == "!" or tag in _PLAIN_TAGS:
            return
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.problems.add(
            mark,
            f"YAML tag '{_clip(shown)}' is not allowed (it was not executed)",
            "plain values only: text, numbers, true/false, lists and mappings",
        )

    def _resolve(self, event: yaml.ScalarEvent, mark: Mark) -> Any:
        value = event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(ScalarNode, value, event.implicit)
        constructor = {
            _TAG + "int": _safe.construct_yaml_int,
            _TAG + "float": _safe.construct_yaml_float,
            _TAG + "bool": _safe.construct_yaml_bool,
        }.get(tag)
        if tag == _TAG + "null":
            return None
        if constructor is not None:
            try:
                return constructor(ScalarNode(tag, value))
            except ValueError as exc:
                if "digits" in str(exc):  # Python refuses ints over 4300 digits
                    return math.copysign(math.inf, -1 if value.lstrip().startswith("-") else 1)
            except (KeyError, OverflowError):
                pass
            kind = tag[len(_TAG) :]
            self.problems.add(
                mark, f"'{_clip(value)}' is not a valid {kind}", f"a plain {kind}, or drop the '!!{kind}' tag"
            )
            return value
        return value  # str, timestamps kept as written, refused tags as their text

    def _count(self, n: int, mark: Mark) -> None:
        self.total += n
        if self.total > MAX_VALUES:
            self._fail(
                mark,
                f"more than {MAX_VALUES:,} values once aliases are expanded",
                "a scenario of ordinary size; nested aliases multiply (an alias bomb)",
            )

    def _fail(self, mark: Mark, what: str, expected: str) -> None:
        self.problems.add(mark, what, expected)
        raise _Abort()


_safe = yaml.SafeLoader("")  # only its scalar constructors are used: they build no objects
