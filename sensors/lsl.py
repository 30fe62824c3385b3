"""Lab Streaming Layer for vrex: the public API of its LSL parts, the only modules that use
pylsl (``lsl_bindings`` loads it). Import from here; the parts are:

* ``lsl_resolve``: ``find_stream`` / ``find_streams`` / ``list_streams`` / ``open_inlet``:
  resolve by signal kind (ECG, PPG, EDA, RESP, RR, Markers and their synonyms,
  case-insensitive), name or source_id, with a timeout. A missing stream raises
  ``StreamNotFound`` listing what *is* on the network. ``stream_predicate`` / ``find_each``:
  the same queries as LSL predicate strings, several resolved at once, with the raw
  ``pylsl.StreamInfo`` (``sensors.recorder`` needs both).
* ``lsl_inlet``: ``Inlet``: clock-synchronised (vrex's own, not liblsl's, which would block a
  pull for 0.64 s), ``recover=True``, a short buffer (``max_buflen`` 5 s: control, not
  recording), ``pull`` into preallocated numpy buffers; never blocks. Its docstring tells how
  the clock offset and LSL's dejitter are handled, and why.
* ``lsl_outlet``: ``make_outlet`` / ``make_marker_outlet``: outlets that write the same
  metadata (``desc/channels/channel/{label,unit,type}``) that inlets read back.
* ``lsl_header``: ``spec_from_info``, and the header an outlet writes, checked.
* ``lsl_bindings``: pylsl loaded with vrex's quiet liblsl config; ``local_clock``.
"""

from __future__ import annotations

from sensors.lsl_bindings import local_clock
from sensors.lsl_header import spec_from_info
from sensors.lsl_inlet import CONTROL_BUFLEN_S, Inlet
from sensors.lsl_inlet import FUTURE_RESET_S as FUTURE_RESET_S
from sensors.lsl_inlet import LAG_RESET_S as LAG_RESET_S
from sensors.lsl_inlet import OFFSET_CHECK_S as OFFSET_CHECK_S
from sensors.lsl_outlet import Outlet, make_marker_outlet, make_outlet
from sensors.lsl_resolve import LIST_WAIT_S as LIST_WAIT_S
from sensors.lsl_resolve import (
    ResolvedStream,
    find_each,
    find_stream,
    find_streams,
    list_streams,
    open_inlet,
    stream_predicate,
)
from sensors.lsl_resolve import _not_found_message as _not_found_message  # its wording is tested

__all__ = [
    "CONTROL_BUFLEN_S",
    "Inlet",
    "Outlet",
    "ResolvedStream",
    "find_each",
    "find_stream",
    "find_streams",
    "list_streams",
    "local_clock",
    "make_marker_outlet",
    "make_outlet",
    "open_inlet",
    "spec_from_info",
    "stream_predicate",
]
