"""Safe YAML for adaptation's config files (populations, training), with FILE:LINE:COL errors.

Reading::

    doc = config.load(path)          # or config.parse(text, file="name.yaml")
    doc.data                         # plain dict / list / str / int / float / bool / None
    doc.where(("parameters", "hr_rest", "mean"))   # (line, col), 1-based, of that value

``load`` raises ``ConfigError`` when the file cannot be read at all: missing, not a regular
file, over ``MAX_BYTES``, not UTF-8, a YAML syntax error, more than one document, nothing in
it, a tag other than YAML's standard scalar/list/mapping tags (reported, never executed: the
file is only composed, never constructed), a merge key ``<<``, a duplicate key, a list or
mapping used as a key, an alias that contains itself, nesting deeper than ``MAX_DEPTH`` or
more than ``MAX_NODES`` nodes once aliases are expanded (the "billion laughs" bomb).

Scalars resolve as PyYAML's SafeLoader resolves them (YAML 1.1): ``yes``/``on`` are true,
``~`` is null, ``1_000`` is 1000, and ``1e-3`` is *text* (1.1 wants ``1.0e-3``).  Dates stay
text.  Mapping keys are always the text as written, so ``on:`` is the key ``'on'``.  A value
reached through an alias is placed where the alias was written; what lies inside it, where
its anchor was.

Validating: a loader checks ``doc.data`` with the ``Doc`` helpers, collecting every problem,
and raises once at the end::

    data = doc.data
    if doc.check_keys((), data, allowed={"format", "name", "n_steps"}, required={"format"}):
        doc.expect(("n_steps",), data.get("n_steps", 1), "integer", low=1)
        if data.get("format") != "x/1":
            doc.error(("format",), f"unknown format {data.get('format')!r}", "write format: x/1")
    doc.raise_if_problems()          # ConfigError listing every problem, in file order

- ``check_keys(path, mapping, allowed, required=())``: not a mapping, unknown keys (with
  did-you-mean, at the key) and missing required keys (at the mapping's own key);
- ``expect(path, value, kind, low=, high=, low_open=, high_open=, choices=)``: kinds
  "number" (int or float, finite, never a bool), "integer", "string", "boolean", "list",
  "mapping", "null", or a tuple of them; "expected a number, got 'abc'";
- ``error(path, what, fix, key=False, at=None)``: anything else, at the value (or key) at
  ``path``, or the nearest ancestor written in the file;
- ``did_you_mean``, ``describe`` (a value as messages show it) and ``label`` (a key path as
  ``parameters.hr_rest.bounds[0]``).

Each problem reads ``FILE:LINE:COL: key.path: what is wrong — what to write instead``.
"""

from __future__ import annotations

import difflib
import math
import stat
from pathlib import Path
from typing import Any, Iterable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from adaptation.errors import AdaptationError

MAX_BYTES = 1 << 20  # configs are a few kilobytes
MAX_NODES = 100_000  # after alias expansion
MAX_DEPTH = 64  # configs nest 3–5 levels
MAX_PROBLEMS = 100

KeyPath = tuple[Any, ...]  # str keys and int list indices: ("parameters", "hr_rest", "bounds", 0)
_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null", "timestamp", "value")}
_SAFE_TAGS = _SCALAR_TAGS | {_T + "seq", _T + "map"}
_safe = yaml.SafeLoader("")  # only its scalar constructors are used; they build no objects
_CONSTRUCT = {
    _T + "int": _safe.construct_yaml_int,
    _T + "float": _safe.construct_yaml_float,
    _T + "bool": _safe.construct_yaml_bool,
}
_KINDS = {  # name -> (test, how an error message names it)
    "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "integer": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "string": (lambda v: isinstance(v, str), "text"),
    "boolean": (lambda v: isinstance(v, bool), "true or false"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "mapping": (lambda v: isinstance(v, dict), "a mapping"),
    "null": (lambda v: v is None, "nothing (null)"),
}


class ConfigError(AdaptationError, ValueError):
    """A config file was refused; ``problems`` holds one ``FILE:LINE:COL: message`` per reason."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Abort(Exception):
    """The rest of the file cannot be read meaningfully."""


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    """`` (did you mean 'mean'?)`` for a near miss, '' when nothing is close."""
    if not isinstance(word, str) or len(word) > 64:  # difflib is quadratic
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    """A value as an error message shows it: ``'abc'``, ``true (a boolean)``, ``a list``."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if value is None:
        return "nothing (an empty value or null)"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:60] + f"… ({len(value):,} characters)"
        try:
            float(value)
        except ValueError:
            return repr(text)
        if "e" in value.lower() and "." not in value and not value.lower().lstrip("+-").startswith(("inf", "nan")):
            return f"{text!r} (text: YAML 1.1 needs a dot before the exponent, e.g. 1.0e-3)"
        return f"{text!r} (text: drop the quotes)"
    return repr(value)


def label(path: KeyPath) -> str:
    """("parameters", "hr_rest", "bounds", 0) -> 'parameters.hr_rest.bounds[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Doc:
    """A parsed config file: its data, where each value was written, and the problems found."""

    def __init__(self, file: str | Path, data: Any = None):
        self.file = str(file)
        self.data = data
        self._where: dict[KeyPath, tuple[int, int]] = {(): (1, 1)}
        self._key_where: dict[KeyPath, tuple[int, int]] = {}
        self._found: list[tuple[int, int, str]] = []

    def where(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """(line, col) of the value at ``path`` (of its key, with ``key=True``); the nearest
        written ancestor when ``path`` is not in the file, e.g. a missing key."""
        path = tuple(path)
        while path:
            found = (self._key_where if key else self._where).get(path) or self._where.get(path)
            if found:
                return found
            path = path[:-1]
        return self._where[()]

    def error(
        self, path: KeyPath, what: str, fix: str = "", *, key: bool = False, at: tuple[int, int] | None = None
    ) -> None:
        """Records ``FILE:LINE:COL: key.path: what — fix`` at the value (or key) at ``path``,
        or at the position ``at`` when given."""
        line, col = at or self.where(path, key=key)
        name = label(tuple(path))
        self._found.append(
            (line, col, f"{self.file}:{line}:{col}: {name + ': ' if name else ''}{what}{' — ' + fix if fix else ''}")
        )

    @property
    def problems(self) -> list[str]:
        """Every problem so far in file order (at most ``MAX_PROBLEMS``: a broken file must not
        flood the terminal)."""
        found = [text for _, _, text in sorted(self._found, key=lambda p: (p[0], p[1]))]
        if len(found) > MAX_PROBLEMS:
            found[MAX_PROBLEMS:] = [f"{self.file}: {len(found) - MAX_PROBLEMS} more problems not shown"]
        return found

    def raise_if_problems(self) -> None:
        if self._found:
            raise ConfigError(self.problems)

    def check_keys(
        self, path: KeyPath, mapping: Any, allowed: Iterable[str], required: Iterable[str] = (), fix: str = ""
    ) -> bool:
        """Reports a non-mapping, unknown keys (with did-you-mean) and missing required keys.
        False when ``mapping`` is not a mapping, so callers can skip looking inside it."""
        if not self.expect(path, mapping, "mapping", fix=fix):
            return False
        allowed = sorted(set(allowed))
        for name in mapping:
            if name not in allowed:
                self.error(
                    (*path, name),
                    f"unknown key '{name}'{did_you_mean(name, allowed)}",
                    fix or f"allowed here: {', '.join(allowed)}",
                    key=True,
                )
        missing = [name for name in required if name not in mapping]
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            self.error(path, f"missing key{'s' if len(missing) > 1 else ''} {names}", fix or f"add {names}", key=True)
        return True

    def expect(
        self,
        path: KeyPath,
        value: Any,
        kind: str | tuple[str, ...],
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        choices: Iterable[str] | None = None,
        fix: str = "",
    ) -> bool:
        """True when ``value`` is of ``kind`` and, for numbers, inside [low, high] (or open
        ends), for strings one of ``choices``; otherwise records why and returns False."""
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        if not any(_KINDS[k][0](value) for k in kinds):
            names = " or ".join(_KINDS[k][1] for k in kinds)
            self.error(path, f"expected {names}, got {describe(value)}", fix or f"write {names} here")
            return False
        if isinstance(value, float) and not math.isfinite(value):
            self.error(path, f"expected a finite number, got {value}", fix or "write a finite number here")
            return False
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            too_low = low is not None and (value <= low if low_open else value < low)
            too_high = high is not None and (value >= high if high_open else value > high)
            if too_low or too_high:
                if low is not None and high is not None:
                    span = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
                else:
                    span = (
                        f"{'>' if low_open else '≥'} {low}"
                        if low is not None
                        else f"{'<' if high_open else '≤'} {high}"
                    )
                self.error(path, f"{value} is not {span}", fix or f"a number {span}")
                return False
        if choices is not None and isinstance(value, str) and value not in choices:
            choices = list(choices)
            self.error(
                path, f"unknown value '{value}'{did_you_mean(value, choices)}", fix or f"one of: {', '.join(choices)}"
            )
            return False
        return True


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer gives an alias the position where the alias was written."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            # a shallow copy: the children stay shared, so an alias bomb costs nothing here
            copy = type(node)(node.tag, node.value, mark, mark)
            copy.is_alias = True
            return copy
        return super().compose_node(parent, index)


def load(path: str | Path) -> Doc:
    """Reads and parses one config file; ``ConfigError`` when it cannot be read as YAML."""
    path = Path(path)
    doc = Doc(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device could be endless
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            doc.error((), f"cannot read the file (it is {what})", "give the path of a .yaml file")
            doc.raise_if_problems()
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        doc.error((), f"cannot read the file ({exc.strerror})", "check the path and its permissions")
        doc.raise_if_problems()
    if len(data) > MAX_BYTES:
        doc.error((), f"file is over the limit of {MAX_BYTES:,} bytes", "a config is a few kilobytes of YAML")
        doc.raise_if_problems()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        at = (
            data.count(b"\n", 0, exc.start) + 1,
            len(data[start : exc.start].decode("utf-8", "replace")) + 1,
        )  # editors count characters
        doc.error((), f"byte 0x{data[exc.start]:02x} is not valid UTF-8", "save the file as UTF-8", at=at)
        doc.raise_if_problems()
    return parse(text, path)


def parse(text: str, file: str | Path = "<string>") -> Doc:
    """Parses YAML text as ``load`` does; ``file`` only names it in messages."""
    doc = Doc(file)
    try:
        root = yaml.compose(text, Loader=_Loader)
        if root is None:
            doc.error((), "file is empty (no YAML value in it)", "write a YAML mapping of keys and values")
        else:
            doc.data = _Builder(doc).build(root, (), 0)
    except _Abort:
        pass
    except RecursionError:
        doc.error((), f"values nested far more than {MAX_DEPTH} deep", "a flatter structure")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if exc.context == "expected a single document in the stream":
            doc.error((), "a second YAML document ('---') in one file", "one config per file", at=at)
        else:
            what = " ".join(str(exc.problem or exc.context).split())
            if exc.context and exc.problem and exc.context_mark:
                what += f" ({exc.context} at line {exc.context_mark.line + 1})"
            doc.error(
                (), f"YAML syntax error: {what}", "valid YAML (check indentation, quotes and ':' after keys)", at=at
            )
    except yaml.reader.ReaderError as exc:  # control characters and the like
        start = text.rfind("\n", 0, exc.position) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        doc.error(
            (),
            f"character {char} is not allowed in YAML",
            "printable text only; delete the character",
            at=(text.count("\n", 0, exc.position) + 1, exc.position - start + 1),
        )
    except yaml.YAMLError as exc:
        doc.error((), f"YAML error: {' '.join(str(exc).split())}", "plain UTF-8 YAML text")
    doc.raise_if_problems()
    return doc


class _Builder:
    """Turns composed nodes into plain data, expanding aliases under a node budget."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.count = 0
        self.open: set[int] = set()  # collections being built: an alias to one is a cycle
        self.alias_at: tuple[int, int] | None = None  # the outermost alias being expanded

    def _fail(self, node: Node, path: KeyPath, what: str, fix: str) -> None:
        self.doc.error(path, what, fix, at=_pos(node))
        raise _Abort

    def build(self, node: Node, path: KeyPath, depth: int) -> Any:
        outer = self.alias_at
        if outer is None and getattr(node, "is_alias", False):
            self.alias_at = _pos(node)  # what lies inside an alias points at its anchor
        try:
            return self._build(node, path, depth)
        finally:
            self.alias_at = outer

    def _build(self, node: Node, path: KeyPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            self.doc.error(
                path,
                f"more than {MAX_NODES:,} values once aliases are expanded",
                "a config of ordinary size; nested aliases multiply (an alias bomb)",
                at=self.alias_at or _pos(node),
            )
            raise _Abort
        self.doc._where[path] = _pos(node)
        if node.tag not in _SAFE_TAGS:
            shown = "!!" + node.tag[len(_T) :] if node.tag.startswith(_T) else node.tag
            self.doc.error(
                path,
                f"YAML tag '{shown}' is not allowed (it was not executed)",
                "plain values only: text, numbers, true/false, lists and mappings",
            )
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if depth >= MAX_DEPTH:
            self._fail(node, path, f"values nested more than {MAX_DEPTH} deep", "a flatter structure")
        if id(node.value) in self.open:
            self._fail(node, path, "alias refers to a value that contains it", "an alias to a finished value")
        self.open.add(id(node.value))
        try:
            if not isinstance(node, MappingNode):
                return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                self.count += 1
                key_at = _pos(key_node)
                if key_node.tag == _T + "merge":
                    self.doc.error(
                        path,
                        "merge keys ('<<') are not supported",
                        "write the keys out, or put an anchor on a whole value",
                        at=key_at,
                    )
                    continue
                if not isinstance(key_node, ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                    self.doc.error(
                        path,
                        "only plain text may be a key (found a list, mapping or tag)",
                        "a plain name as the key",
                        at=key_at,
                    )
                    continue
                name = key_node.value
                if name in out:
                    first = self.doc._key_where[(*path, name)][0]
                    self.doc.error(
                        path,
                        f"duplicate key '{name}' (first written at line {first})",
                        "each key once per mapping; delete or rename one",
                        at=key_at,
                    )
                    continue
                self.doc._key_where[(*path, name)] = key_at
                out[name] = self.build(value_node, (*path, name), depth + 1)
            return out
        finally:
            self.open.discard(id(node.value))

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        if node.tag == _T + "null":
            return None
        construct = _CONSTRUCT.get(node.tag)
        if construct is None:
            return node.value  # str, timestamps and '=' stay text
        try:
            return construct(node)
        except (ValueError, KeyError, OverflowError):  # '!!int abc', or an int over 4300 digits
            kind = node.tag[len(_T) :]
            shown = repr(node.value) if len(node.value) <= 60 else f"a {len(node.value):,}-character value"
            self.doc.error(path, f"{shown} is not a valid {kind}", f"a plain {kind} of ordinary size")
            return node.value
