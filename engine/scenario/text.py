"""The ``text`` entity's words: what a sign or a floor indicator may say.

Shared by the schema (the ``text`` key) and the property table (a bound ``text``), so a
written and a bound text are held to the same rules: at most ``MAX_CHARS`` characters, not
empty, no control characters but line breaks (a stray escape such as "\\x1b" would draw as a
box or nothing, and the author could not see why).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from engine.scenario.errors import Problems
from engine.scenario.schema import Type
from engine.scenario.yamlsafe import YNode, YScalar

MAX_CHARS = 200  # a sign, a floor number, a short notice: not a page
ALIGN = ("left", "centre", "right")


def text_problem(value: str) -> str:
    """'' when ``value`` may be shown, else what is wrong with it (naming the character)."""
    if not value.strip():
        return "text is empty"
    if len(value) > MAX_CHARS:
        return f"text of {len(value):,} characters is longer than {MAX_CHARS}"
    for i, ch in enumerate(value):
        if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kind = "a control character" if unicodedata.category(ch) == "Cc" else "an invisible or unassigned character"
            return f"character {i + 1} of the text is {kind} (U+{ord(ch):04X})"
    return ""


def as_text(value: Any) -> tuple[str | None, str]:
    """A binding value as the text to show: (text, '') or (None, what to write).

    Numbers are shown as ``{:g}`` writes them (``1`` → '1', ``2.5`` → '2.5'), so a floor
    indicator can be written ``[[0, 1], [0.2, 2]]``; quote them to keep a form such as '1.10'."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None, f"text in quotes, e.g. '3' or 'EXIT' (at most {MAX_CHARS} characters)"
    text = value if isinstance(value, str) else f"{value:g}"
    wrong = text_problem(text)
    if wrong:
        return None, f"{wrong}; text of 1 to {MAX_CHARS} characters, no control characters but line breaks"
    return text, ""


class Label(Type):
    """The words of a ``text`` entity (numbers are taken as written: 3 → '3')."""

    doc_name = "text"

    def expected(self) -> str:
        return f"text of 1 to {MAX_CHARS} characters, no control characters but line breaks ('\\n')"

    def check(self, node: YNode, p: Problems) -> Any:
        if not isinstance(node, YScalar) or isinstance(node.value, bool) or node.value is None:
            return self.wrong(node, p)
        if not isinstance(node.value, str):
            if isinstance(node.value, (int, float)):
                return node.text  # a floor number, as written
            return self.wrong(node, p)
        wrong = text_problem(node.value)
        return self.wrong(node, p, wrong) if wrong else node.value

    def json(self) -> dict[str, Any]:
        return {"type": ["string", "number"], "minLength": 1, "maxLength": MAX_CHARS}
