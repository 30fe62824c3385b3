"""Helping words for messages, shared by every layer's validators."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    """`` (did you mean 'colour'?)`` for a near miss, '' when nothing is close (or ``word``
    is not text)."""
    if not isinstance(word, str) or len(word) > 64:  # difflib is quadratic; nobody misspells 64 letters
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
