"""Finding streams on the network: ``find_stream`` (exactly one, or ``StreamNotFound`` that
lists what *is* there, with "did you mean"), ``find_streams``, ``list_streams`` and
``open_inlet``, by signal kind (ECG, PPG, EDA, RESP, RR, Markers and their synonyms,
case-insensitive), name or source_id, with a timeout. ``stream_predicate`` / ``find_each``:
the same queries as LSL predicate strings (XPath 1.0 over the stream header), several
resolved at once, with the raw ``pylsl.StreamInfo`` (``sensors.recorder`` needs both)."""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sensors.errors import StreamNotFound
from sensors.lsl_bindings import LSL_ERRORS as _LSL_ERRORS
from sensors.lsl_bindings import pylsl
from sensors.lsl_header import spec_from_info
from sensors.lsl_inlet import Inlet
from sensors.types import StreamSpec
from sensors.units import KIND_SYNONYMS, canonical_kind

LIST_WAIT_S = 1.0  # how long list_streams listens (LSL advises >= 0.5 s)
_RESOLVE_POLL_S = 0.02


@dataclass(frozen=True)
class ResolvedStream:
    """A stream seen on the network; ``open()`` connects to it."""

    spec: StreamSpec
    info: pylsl.StreamInfo

    @property
    def kind(self) -> str | None:
        return canonical_kind(self.spec.type)

    def open(self, **kwargs) -> Inlet:
        return Inlet(self, **kwargs)


def _literal(text: str) -> str:
    """An XPath 1.0 string literal (XPath has no escapes; concat() joins mixed quotes)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", \"'\", ".join(f"'{part}'" for part in text.split("'")) + ")"


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _predicate(kind: str | None, name: str | None, source_id: str | None) -> str:
    parts = []
    if kind is not None:
        canonical = canonical_kind(kind)
        if canonical is None:
            raise ValueError(
                f"unknown signal kind '{kind}'; known: {', '.join(k.upper() for k in KIND_SYNONYMS)} (and synonyms)"
            )
        # Case-insensitive, ignoring '-', '_' and spaces, like canonical_kind().
        squashed = f"translate(type, '{_UPPER}-_ ', '{_UPPER.lower()}')"
        parts.append("(" + " or ".join(f"{squashed}='{s}'" for s in KIND_SYNONYMS[canonical]) + ")")
    if name is not None:
        parts.append(f"name={_literal(name)}")
    if source_id is not None:
        parts.append(f"source_id={_literal(source_id)}")
    return " and ".join(parts)


def list_streams(timeout: float = LIST_WAIT_S, *, full_info_s: float = 0.0) -> list[StreamSpec]:
    """Every stream visible on the network, found within ``timeout`` seconds. A resolved
    stream's header carries no ``desc`` (labels, units): with ``full_info_s`` > 0 each stream
    is asked for its full header, all at once, waiting at most that long; one that does not
    answer in time is listed from its short header (its units unknown)."""
    infos = pylsl.resolve_streams(wait_time=timeout)
    if full_info_s > 0 and infos:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(16, len(infos))) as pool:
            infos = list(pool.map(lambda i: _full_info(i, full_info_s), infos))
    return sorted((spec_from_info(i) for i in infos), key=lambda s: (s.type.lower(), s.name))


def _full_info(info: pylsl.StreamInfo, timeout: float) -> pylsl.StreamInfo:
    inlet = None
    try:
        inlet = pylsl.StreamInlet(info, max_buflen=1, recover=False)
        return inlet.info(timeout)
    except _LSL_ERRORS:
        return info
    finally:
        del inlet  # pylsl destroys it when unreferenced; no stream was opened


def find_streams(
    kind: str | None = None,
    *,
    name: str | None = None,
    source_id: str | None = None,
    timeout: float = 5.0,
    minimum: int = 1,
) -> list[ResolvedStream]:
    """Streams matching all the given criteria; returns soon after ``minimum`` are found,
    or what was found when ``timeout`` expires (possibly nothing)."""
    pred = _predicate(kind, name, source_id)
    if not pred:
        infos = pylsl.resolve_streams(wait_time=timeout)
    else:
        # Not resolve_bypred: with liblsl 1.18 its timeout overran by exactly 5 s in about
        # half of the calls that found nothing (0.5 s asked, 5.5 s taken). A continuous
        # resolver keeps to the deadline and is destroyed at once.
        resolver = pylsl.ContinuousResolver(pred=pred, forget_after=max(5.0, timeout))
        deadline = pylsl.local_clock() + timeout
        infos = resolver.results()
        while len(infos) < minimum and pylsl.local_clock() < deadline:
            time.sleep(_RESOLVE_POLL_S)
            infos = resolver.results()
        if infos:
            time.sleep(_RESOLVE_POLL_S)  # let other answers to the same query arrive
            infos = resolver.results()
        del resolver
    return [ResolvedStream(spec_from_info(i), i) for i in infos]


def stream_predicate(kind: str | None = None, *, name: str | None = None, source_id: str | None = None) -> str:
    """The LSL query (an XPath 1.0 predicate over the stream header) that ``find_streams``
    uses for these criteria: what ``find_each`` and LabRecorder's watch list take."""
    pred = _predicate(kind, name, source_id)
    if not pred:
        raise ValueError("stream_predicate needs a kind, a name or a source_id")
    return pred


def find_each(predicates: Sequence[str], timeout: float = 5.0) -> list[list[ResolvedStream]]:
    """The streams matching each LSL query, resolved side by side (one continuous resolver
    per query, so N queries cost one wait, not N): returns soon after every query has a
    match, or what was found when ``timeout`` expires. ``ResolvedStream.info`` is the raw
    ``pylsl.StreamInfo``, for code that hands streams to other LSL tools (the recorder)."""
    resolvers = [pylsl.ContinuousResolver(pred=p, forget_after=max(5.0, timeout)) for p in predicates]
    deadline = pylsl.local_clock() + timeout
    results = [r.results() for r in resolvers]
    while not all(results) and pylsl.local_clock() < deadline:
        time.sleep(_RESOLVE_POLL_S)
        results = [r.results() for r in resolvers]
    time.sleep(_RESOLVE_POLL_S)  # let other answers to the same queries arrive
    results = [r.results() for r in resolvers]
    del resolvers
    return [[ResolvedStream(spec_from_info(i), i) for i in infos] for infos in results]


def find_stream(
    kind: str | None = None, *, name: str | None = None, source_id: str | None = None, timeout: float = 5.0
) -> ResolvedStream:
    """Exactly one stream matching the criteria, or StreamNotFound listing what was found."""
    if kind is None and name is None and source_id is None:
        raise ValueError("find_stream needs a kind, a name or a source_id")
    found = find_streams(kind, name=name, source_id=source_id, timeout=timeout)
    wanted = _wanted(kind, name, source_id)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listing = "\n".join(f"  {r.spec.describe()}" for r in found)
        raise StreamNotFound(
            f"{len(found)} streams match {wanted}; vrex needs exactly one:\n{listing}\n"
            f"Pick one by name or source_id (run `vrex streams` to see them all)."
        )
    others = list_streams()
    raise StreamNotFound(_not_found_message(wanted, timeout, others, name))


def _wanted(kind: str | None, name: str | None, source_id: str | None) -> str:
    words = []
    if kind is not None:
        canonical = canonical_kind(kind) or kind
        words.append(
            f"a {canonical.upper()} stream (type {', '.join(KIND_SYNONYMS.get(canonical, (kind,)))}; any case)"
        )
    else:
        words.append("a stream")
    if name is not None:
        words.append(f"named '{name}'")
    if source_id is not None:
        words.append(f"with source_id '{source_id}'")
    return " ".join(words)


def _not_found_message(wanted: str, timeout: float, others: list[StreamSpec], name: str | None) -> str:
    head = f"No {wanted.removeprefix('a ')} found within {timeout:g} s."
    if not others:
        return (
            f"{head} No LSL streams are visible at all. Start the device's LSL app (or "
            f"`vrex simulate`) and check that it runs on this machine or on the same "
            f"network (LSL discovers streams by UDP multicast and broadcast)."
        )
    listing = "\n".join(f"  {s.describe()}" for s in others)
    hint = ""
    if name is not None:
        close = difflib.get_close_matches(name, [s.name for s in others], n=1)
        if close:
            hint = f" Did you mean '{close[0]}'?"
    return (
        f"{head}{hint} Streams on the network:\n{listing}\n"
        f"Start the missing device's LSL app, or choose one of these by name."
    )


def open_inlet(
    kind: str | None = None, *, name: str | None = None, source_id: str | None = None, timeout: float = 5.0, **kwargs
) -> Inlet:
    """find_stream(...) then open it."""
    return find_stream(kind, name=name, source_id=source_id, timeout=timeout).open(timeout=timeout, **kwargs)
