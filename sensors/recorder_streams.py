"""Which LSL streams a recording takes, for ``sensors.recorder.XdfRecorder.start``: each
stream asked for must be on the network now and match exactly one stream (a spec's
hostname picks among several); a watched source_id already present is recorded from the
start, the others are left for LabRecorder's watcher to add when they appear. One XDF
stream per LSL stream, however often it was asked for. A stream that is missing, or
ambiguous, is a ``StreamNotFound`` that names it and lists what is on the network.
"""

from __future__ import annotations

from collections.abc import Sequence

from sensors import lsl
from sensors.errors import StreamNotFound
from sensors.types import StreamSpec

LATE_LOOK_S = 1.0  # how long to look for watched streams already present


def resolve_streams(
    streams: Sequence[lsl.ResolvedStream | StreamSpec | str], watch: Sequence[StreamSpec | str], timeout: float
) -> tuple[list[lsl.ResolvedStream], tuple[str, ...]]:
    """(the streams to record from the start, the source_ids to watch for). ``streams`` are
    searched for up to ``timeout`` s; watched streams already present, up to ``LATE_LOOK_S``."""
    given = [s for s in streams if isinstance(s, lsl.ResolvedStream)]
    wanted = [s for s in streams if not isinstance(s, lsl.ResolvedStream)]
    for s in (*wanted, *watch):
        if not isinstance(s, (StreamSpec, str)):
            raise TypeError(f"cannot record {s!r}: give a ResolvedStream, a StreamSpec or a source_id")
    for s in watch:
        if isinstance(s, StreamSpec) and not s.source_id:
            raise ValueError(
                f"cannot watch for {s.describe()}: LabRecorder adds late streams only when they have a source_id"
            )
    results = lsl.find_each([_query(s) for s in wanted], timeout) if wanted else []
    missing = [_label(s) for s, r in zip(wanted, results) if not r]
    for i, (s, r) in enumerate(zip(wanted, results)):
        if len(r) > 1 and isinstance(s, StreamSpec) and s.hostname:
            results[i] = [x for x in r if x.spec.hostname == s.hostname] or r
    several = [(s, r) for s, r in zip(wanted, results) if len(r) > 1]
    if missing:
        raise StreamNotFound(_missing_message(missing, timeout))
    if several:
        s, r = several[0]
        listing = "\n".join(f"  {x.spec.describe()}" for x in r)
        raise StreamNotFound(
            f"{len(r)} streams match {_label(s)}; the recorder needs "
            f"exactly one:\n{listing}\nStop the extra one, or pass the "
            f"stream itself (sensors.lsl.find_stream(...))."
        )
    chosen = given + [r[0] for r in results]
    watch_ids = list(dict.fromkeys(s if isinstance(s, str) else s.source_id for s in watch))
    present = (
        lsl.find_each([lsl.stream_predicate(source_id=s) for s in watch_ids], min(timeout, LATE_LOOK_S))
        if watch_ids
        else []
    )
    for matches in present:
        chosen += matches
    unique: list[lsl.ResolvedStream] = []
    seen: set[str] = set()
    for stream in chosen:  # one XDF stream per LSL stream
        if stream.info.uid() not in seen:
            seen.add(stream.info.uid())
            unique.append(stream)
    recorded_ids = {r.spec.source_id for r in unique}
    late = tuple(s for s in watch_ids if s not in recorded_ids)
    return unique, late


def _query(selector: StreamSpec | str) -> str:
    if isinstance(selector, str):
        return lsl.stream_predicate(source_id=selector)
    if selector.source_id:
        return lsl.stream_predicate(source_id=selector.source_id)
    return lsl.stream_predicate(name=selector.name)


def _label(selector: StreamSpec | str) -> str:
    if isinstance(selector, str):
        return f"source_id '{selector}'"
    return selector.describe()


def _missing_message(missing: list[str], timeout: float) -> str:
    seen = lsl.list_streams()
    listing = "\n".join(f"  {s.describe()}" for s in seen) or "  (none)"
    return (
        f"cannot start recording: not found within {timeout:g} s: {'; '.join(missing)}.\n"
        f"Streams on the network:\n{listing}\nStart the missing stream, or leave it out."
    )
