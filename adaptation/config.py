"""Safe YAML for adaptation's config files (populations, training), with FILE:LINE:COL errors.

Reading::

    doc = config.load(path)          # or config.parse(text, file="name.yaml")
    doc.data                         # plain dict / list / str / int / float / bool / None
    doc.where(("parameters", "hr_rest", "mean"))   # (line, col), 1-based, of that value

Reading is vrexbase's one safe YAML reader (``vrexbase/yamlsafe.py``) with a config's
limits (``LIMITS``): ``load`` raises ``ConfigError`` when the file cannot be read at all:
missing, not a regular file, over ``MAX_BYTES``, not UTF-8, a YAML syntax error, more than
one document, nothing in it, a tag other than YAML's standard scalar/list/mapping tags
(reported, never executed), a merge key ``<<``, a duplicate key, a list or mapping used as a
key, an alias to a value that is not finished (one that contains itself), nesting deeper than
``MAX_DEPTH`` or more than ``MAX_NODES`` values once aliases are expanded (the "billion
laughs" bomb), and an integer too long for Python to read.

Scalars resolve as PyYAML's SafeLoader resolves them (YAML 1.1): ``yes``/``on`` are true,
``~`` is null, ``1_000`` is 1000, and ``1e-3`` is *text* (1.1 wants ``1.0e-3``).  Dates stay
text.  Mapping keys are always the text as written, so ``on:`` is the key ``'on'``.  A value
reached through an alias is placed where the alias was written; what lies inside it, where
its anchor was. ``doc.data`` is plain data: an aliased list is a copy, never shared.

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

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from adaptation.errors import AdaptationError
from vrexbase.words import did_you_mean
from vrexbase.yamlsafe import Limits, Mark, YMap, YNode, YScalar, YSeq, parse_yaml, read_yaml

LIMITS = Limits(
    max_bytes=1 << 20,  # configs are a few kilobytes
    max_depth=64,  # configs nest 3–5 levels
    max_values=100_000,  # after alias expansion
    kind="config",
)
MAX_BYTES, MAX_DEPTH, MAX_NODES = LIMITS.max_bytes, LIMITS.max_depth, LIMITS.max_values
MAX_PROBLEMS = 100

KeyPath = tuple[Any, ...]  # str keys and int list indices: ("parameters", "hr_rest", "bounds", 0)
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


def load(path: str | Path) -> Doc:
    """Reads and parses one config file; ``ConfigError`` when it cannot be read as YAML."""
    doc = Doc(path)
    return _finish(doc, read_yaml(Path(path), _reporter(doc), LIMITS))


def parse(text: str, file: str | Path = "<string>") -> Doc:
    """Parses YAML text as ``load`` does; ``file`` only names it in messages."""
    doc = Doc(file)
    return _finish(doc, parse_yaml(text, _reporter(doc), LIMITS))


def _reporter(doc: Doc) -> Any:
    return lambda mark, what, fix, path=(): doc.error(path, what, fix, at=(mark.line, mark.col))


def _finish(doc: Doc, root: YNode | None) -> Doc:
    if root is not None and not doc._found:
        doc.data = _plain(doc, root, ())
    doc.raise_if_problems()
    return doc


def _plain(doc: Doc, node: YNode, path: KeyPath) -> Any:
    """The tree as plain data (fresh lists and dicts: aliases share nothing), noting where
    each value and key was written. Iterative: the reader bounds depth, not Python's stack."""
    doc._where[path] = _at(node.mark)
    if isinstance(node, YScalar):
        return _scalar(doc, node, path)
    if isinstance(node, YSeq):
        return [_plain(doc, item, (*path, i)) for i, item in enumerate(node.items)]
    out: dict[str, Any] = {}
    assert isinstance(node, YMap)
    for name, (key_mark, value) in node.entries.items():
        doc._key_where[(*path, name)] = _at(key_mark)
        out[name] = _plain(doc, value, (*path, name))
    return out


def _scalar(doc: Doc, node: YScalar, path: KeyPath) -> Any:
    value = node.value
    if isinstance(value, float) and math.isinf(value) and node.text.strip().lstrip("+-").isdigit():
        # the reader reads an integer over Python's 4,300-digit limit as infinity; a config
        # has no use for either, and "inf" would hide what was written
        doc.error(path, f"a {len(node.text):,}-character value is not a valid int", "a plain int of ordinary size")
        return node.text
    return value


def _at(mark: Mark) -> tuple[int, int]:
    return mark.line, mark.col
