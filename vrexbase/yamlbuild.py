"""Builds the ``YNode`` tree (``vrexbase/yamlnodes.py``) from PyYAML's parser events, for
vrex's one YAML reader (``vrexbase/yamlsafe.py``, which parses and reports what the parser
itself refuses).

An explicit stack instead of recursion (PyYAML's C composer can overflow the stack on deeply
nested input), nesting bounded by ``Limits.max_depth``; tags other than the standard ones
are reported and never executed; scalars resolve with SafeLoader's own resolver and scalar
constructors (which build no objects), timestamps staying text and keys the text as written;
every value, aliases expanded, counts against ``Limits.max_values`` (the "billion laughs"
bomb); duplicate keys, which PyYAML silently overwrites, and merge keys are reported. Each
problem goes to the ``Report`` callback with the key path of the value concerned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, NoReturn

import yaml
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from vrexbase.yamlnodes import KeyPath, Limits, Mark, Report, YMap, YNode, YScalar, YSeq, clip

_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}


def yaml_mark(m: Any) -> Mark:
    """A PyYAML mark (0-based) as a ``Mark`` (1-based)."""
    return Mark(m.line + 1, m.column + 1)


class Abort(Exception):
    """Stops reading after a problem that makes the rest of the file meaningless."""


def _placed(node: YNode, mark: Mark) -> YNode:
    """``node`` as reached through an alias written at ``mark``: a shallow copy (children
    stay shared, so an alias bomb costs nothing here) that carries the alias's place."""
    if isinstance(node, YScalar):
        return YScalar(node.value, mark, node.size, node.text)
    if isinstance(node, YSeq):
        return YSeq(node.items, mark, node.size)
    return YMap(node.entries, mark, node.size)


class TreeBuilder:
    """Builds the tree from parser events with an explicit stack (no recursion)."""

    def __init__(self, report: Report, limits: Limits):
        self.report = report
        self.limits = limits
        self.anchors: dict[str, YNode] = {}
        self.total = 0
        self.resolver = Resolver()

    def build(self, events: Iterable[yaml.Event]) -> YNode | None:
        """The tree of ``events`` (one document); raises ``Abort`` after a problem that ends
        the reading, and lets the parser's own errors through."""
        # Each stack frame: [node, pending_key, pending_key_mark, anchor]
        stack: list[list[Any]] = []
        self._stack = stack
        root: YNode | None = None
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self._fail(
                        yaml_mark(event.start_mark),
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
            mark = yaml_mark(event.start_mark)
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
        raise Abort()


_safe = yaml.SafeLoader("")  # only its scalar constructors are used: they build no objects
