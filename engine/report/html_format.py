"""Small formatters the HTML report's sections share: a table of escaped cells, a session
time as m:ss, a number or a dash, a mapping on one line, SSQ scores, exposure windows. Each
turns a value from a session folder into text, never raising on a value of the wrong type."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.report.summary import Summary


def table(header: list[str] | None, rows: Iterable[list[str]], numeric: Iterable[int] = ()) -> str:
    """An HTML table; without a header the first cell of each row is its heading; the
    columns in ``numeric`` are right-aligned."""
    numeric = set(numeric)
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>"
        + "".join(
            (
                f"<td class='n'>{escape(c)}</td>"
                if i in numeric
                else (f"<th>{escape(c)}</th>" if header is None and i == 0 else f"<td>{escape(c)}</td>")
            )
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


def windows(s: Summary) -> str:
    return ", ".join(f"{clock(w.start)}–{clock(w.end)}" for w in s.exposure)


def scores(e: dict[str, Any]) -> str:
    skip = {"seq", "t", "lsl", "wall", "source", "kind", "reason"}
    return ", ".join(f"{k} {v}" for k, v in e.items() if k not in skip)


def mapping(value: Any) -> str | None:
    return ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else value


def times(ts: list[float]) -> str:
    return f"{len(ts)}" + (f" (at {', '.join(clock(t) for t in ts)})" if ts else "")


def clock(t: float) -> str:
    """Session seconds as m:ss."""
    t = int(round(float(t)))
    return f"{t // 60:d}:{t % 60:02d}"


def num(value: Any, fmt: str = "{:g}") -> str:
    """``value`` through ``fmt``; a dash for None."""
    if value is None:
        return "—"
    try:
        return fmt.format(value)
    except (TypeError, ValueError):  # a string where a number was expected: show it as it is
        return str(value)
