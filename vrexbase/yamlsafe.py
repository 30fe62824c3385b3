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
"""

from __future__ import annotations

import math
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in a file, as editors count them."""

    line: int
    col: int


@dataclass(frozen=True)
class Limits:
    """What one kind of file may hold, and how its messages name it."""

    max_bytes: int = 1 << 20
    max_depth: int = 32
    max_values: int = 200_000  # values (keys included) after alias expansion
    kind: str = "file"  # "a scenario is a few kilobytes of YAML"
    expected: str = "a YAML mapping of keys and values"  # what an empty file should hold
    large_data: str = ""  # where large data belongs instead, e.g. "; put large data in model files"


KeyPath = tuple[Any, ...]  # keys and list indices from the root: ("parameters", "hr_rest", 0)
# report(where, what is wrong, what to write instead, path=()): path is the key path of the
# value (or, for a key's problem, the mapping) concerned; () for the file as a whole
Report = Callable[..., None]

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
    items: list[YNode]
    mark: Mark
    size: int = 1


@dataclass(eq=False)
class YMap:
    # key -> (mark of the key, value)
    entries: dict[str, tuple[Mark, YNode]] = field(default_factory=dict)
    mark: Mark = Mark(1, 1)
    size: int = 1


YNode = YScalar | YSeq | YMap


def _mark(m: Any) -> Mark:
    return Mark(m.line + 1, m.column + 1)


def clip(text: str, limit: int = 60) -> str:
    """Long values are shortened in messages, so a hostile file cannot flood the terminal."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


class _Abort(Exception):
    """Stops reading after a problem that makes the rest of the file meaningless."""


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


def read_yaml(path: Path, report: Report, limits: Limits = Limits()) -> YNode | None:
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


def parse_yaml(text: str, report: Report, limits: Limits = Limits()) -> YNode | None:
    """``text``'s single document as a tree of ``YNode``, or ``None`` after reporting why not."""
    if not text.strip():
        report(Mark(1, 1), "file is empty", limits.expected)
        return None
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        report(Mark(1, 1), "file has only comments", limits.expected)
        return None
    try:
        return _Builder(report, limits).build(text)
    except _Abort:
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
        where = _mark(mark) if mark else Mark(1, 1)
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


def _placed(node: YNode, mark: Mark) -> YNode:
    """``node`` as reached through an alias written at ``mark``: a shallow copy (children
    stay shared, so an alias bomb costs nothing here) that carries the alias's place."""
    if isinstance(node, YScalar):
        return YScalar(node.value, mark, node.size, node.text)
    if isinstance(node, YSeq):
        return YSeq(node.items, mark, node.size)
    return YMap(node.entries, mark, node.size)


class _Builder:
    """Builds the tree from parser events with an explicit stack (no recursion)."""

    def __init__(self, report: Report, limits: Limits):
        self.report = report
        self.limits = limits
        self.anchors: dict[str, YNode] = {}
        self.total = 0
        self.resolver = Resolver()

    def build(self, text: str) -> YNode | None:
        # Each stack frame: [node, pending_key, pending_key_mark, anchor]
        stack: list[list[Any]] = []
        self._stack = stack
        root: YNode | None = None
        documents = 0
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._fail(
                        _mark(event.start_mark),
                        "a second YAML document ('---') in one file",
                        f"one {self.limits.kind} per file",
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
                target = self.anchors.get(event.anchor or "")
                if target is None:
                    self._fail(
                        mark,
                        f"alias '*{event.anchor}' refers to no finished anchor",
                        f"define '&{event.anchor}' on a value before this point, outside it",
                    )
                self._count(target.size, mark)
                root = self._attach(stack, _placed(target, mark), root)
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
                if len(stack) >= self.limits.max_depth:
                    self._fail(
                        mark,
                        f"values nested more than {self.limits.max_depth} deep",
                        "a flatter structure",
                    )
                self._count(1, mark)
                node = YSeq([], mark) if isinstance(event, yaml.SequenceStartEvent) else YMap({}, mark)
                stack.append([node, None, None, anchor])
        return root

    def _path(self, depth: int | None = None) -> KeyPath:
        """Keys and indices from the root to the slot being filled in the frame at ``depth``
        (default: the innermost); ``depth`` = len(stack) - 1 gives that mapping's own path."""
        frames = self._stack if depth is None else self._stack[:depth]
        return tuple(
            len(node.items) if isinstance(node, YSeq) else (key if key is not None else "")
            for node, key, _, _ in frames
        )

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
                self.report(
                    node.mark, "a list or mapping used as a key", "a plain name as the key", self._path(len(stack) - 1)
                )
                frame[1], frame[2] = "", node.mark
            else:
                frame[1] = node.text  # 'on:' is the key 'on', not True
                frame[2] = node.mark
        else:
            key, key_mark = frame[1], frame[2]
            frame[1] = frame[2] = None
            if key == "<<":
                self.report(
                    key_mark,
                    "merge keys ('<<') are not supported",
                    "write the keys out, or put an anchor on a whole value",
                    self._path(len(stack) - 1),
                )
            elif key in parent.entries:
                first = parent.entries[key][0]
                self.report(
                    key_mark,
                    f"duplicate key '{clip(key)}' (first written at line {first.line})",
                    "each key once per mapping; delete or rename one of them",
                    self._path(len(stack) - 1),
                )
            else:
                parent.entries[key] = (key_mark, node)
        return root

    def _check_tag(self, event: Any, mark: Mark) -> None:
        tag = getattr(event, "tag", None)
        if tag is None or tag == "!" or tag in _PLAIN_TAGS:
            return
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.report(
            mark,
            f"YAML tag '{clip(shown)}' is not allowed (it was not executed)",
            "plain values only: text, numbers, true/false, lists and mappings",
            self._path(),
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
            self.report(
                mark,
                f"'{clip(value)}' is not a valid {kind}",
                f"a plain {kind}, or drop the '!!{kind}' tag",
                self._path(),
            )
            return value
        return value  # str, timestamps kept as written, refused tags as their text

    def _count(self, n: int, mark: Mark) -> None:
        self.total += n
        if self.total > self.limits.max_values:
            self._fail(
                mark,
                f"more than {self.limits.max_values:,} values once aliases are expanded",
                f"a {self.limits.kind} of ordinary size; nested aliases multiply (an alias bomb)",
            )

    def _fail(self, mark: Mark, what: str, expected: str) -> NoReturn:
        self.report(mark, what, expected, self._path())
        raise _Abort()


_safe = yaml.SafeLoader("")  # only its scalar constructors are used: they build no objects
