"""Connection limits for the console's server: a deadline for a request's head, a cap on
open connections with room kept for the therapist's STOP, and TLS handshakes bounded too.

Why uvicorn, wrapped, rather than another server: uvicorn is already what serves the page,
the WebSocket and the TestClient-tested app; it has a keep-alive timeout and WebSocket size
limits, but nothing bounds the time before a request's head arrives nor the number of sockets
it accepts, so 1,000 idle sockets exhausted a 1,024-descriptor process (issue 16). Hypercorn
has a read timeout but would replace the WebSocket stack the page depends on; the missing part
is small and lives at one place, the protocol a connection gets, which uvicorn lets us name
(``Config(http=...)``). So:

- every accepted connection takes a ``Slot`` in the ``Gate``; one that has not sent a whole
  request head (headers) within ``head_s`` is dropped, however slowly it trickles bytes;
- at most ``max_pending`` connections may be waiting for their head: a new one drops the
  oldest that has sent nothing at all for ``grace_s`` (then the oldest trickling one, then the
  oldest waiting), so idle or trickling sockets cannot crowd out a STOP, which sends its whole
  head at once, also when it was accepted in the same batch as a flood's sockets;
- at most ``max_open`` connections in all, sized from the process's descriptor limit so the
  session's own files, streams and renderer pipes always have descriptors left;
- with TLS the same slot is taken before the handshake, which must finish within ``head_s``.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import ssl
import time
from asyncio import sslproto
from collections import OrderedDict
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)
HEAD_S = 5.0  # a browser or script sends its request head at once; 5 s is generous on any network
# asyncio admits a whole batch of accepted sockets before it reads any of them: one this young
# that has sent nothing may be a STOP whose head is already waiting to be read, not an idle one
GRACE_S = 0.5
SWEEP_S = 0.25


def budget(fraction: float = 0.25, most: int = 256) -> int:
    """How many connections the console may hold: a quarter of the descriptor limit (the rest is
    the session's), at most ``most``, at least 16."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return most
    return max(16, min(most, int(soft * fraction)))


class Slot:
    __slots__ = ("transport", "since", "bytes", "headed")

    def __init__(self, transport: Any):
        self.transport, self.since, self.bytes, self.headed = transport, time.monotonic(), 0, False


class Gate:
    """The console's connections: who may stay, who is dropped."""

    def __init__(
        self,
        max_open: int | None = None,
        max_pending: int | None = None,
        head_s: float = HEAD_S,
        grace_s: float = GRACE_S,
    ):
        self.max_open = max_open or budget()
        self.max_pending = max_pending or max(8, self.max_open // 2)
        self.head_s, self.grace_s = head_s, grace_s
        self.pending: OrderedDict[int, Slot] = OrderedDict()  # no whole request head yet, oldest first
        self.open: dict[int, Slot] = {}
        self.dropped = 0  # connections this gate closed (deadline, or room for a newer one)
        self._sweeping = False

    def admit(self, transport: Any) -> Slot:
        self._purge()
        if len(self.pending) >= self.max_pending or len(self.open) >= self.max_open:
            self._drop_one()
        slot = Slot(transport)
        self.pending[id(slot)] = slot
        self.open[id(slot)] = slot
        if not self._sweeping:
            self._sweeping = True
            asyncio.get_running_loop().call_later(SWEEP_S, self._sweep)
        return slot

    def headed(self, slot: Slot) -> None:
        slot.headed = True
        self.pending.pop(id(slot), None)

    def left(self, slot: Slot) -> None:
        self.pending.pop(id(slot), None)
        self.open.pop(id(slot), None)

    def _drop(self, slot: Slot) -> None:
        self.left(slot)
        self.dropped += 1
        slot.transport.abort()

    def _drop_one(self) -> None:
        # first a socket silent past its grace (idle), then one trickling bytes (never a whole
        # head), and a socket just accepted only when every waiting one is as young
        old = time.monotonic() - self.grace_s
        silent = next((s for s in self.pending.values() if s.bytes == 0 and s.since <= old), None)
        talking = next((s for s in self.pending.values() if s.bytes > 0), None)
        victim = silent or talking or next(iter(self.pending.values()), None)
        if victim is None:  # all open connections have sent a request (token holders): the oldest goes
            victim = next(iter(self.open.values()))
        self._drop(victim)

    def _purge(self) -> None:
        # a connection upgraded to a WebSocket changes protocol: its end shows on the transport
        for slot in [s for s in self.open.values() if s.transport.is_closing()]:
            self.left(slot)

    def _sweep(self) -> None:
        self._purge()
        end = time.monotonic() - self.head_s
        for slot in [s for s in self.pending.values() if s.since < end]:
            self._drop(slot)
        if self.open:
            asyncio.get_running_loop().call_later(SWEEP_S, self._sweep)
        else:
            self._sweeping = False


class GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a slot in the gate: dropped if its head is late."""

    gate: Gate
    slot: Slot | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self.slot is None:
            self.slot = self.gate.admit(transport)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.slot is not None:
            self.gate.left(self.slot)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.slot is not None:
            self.slot.bytes += len(data)
        super().data_received(data)
        # h11 has parsed a whole head once it is past waiting for one (SEND_RESPONSE or beyond)
        if self.slot is not None and not self.slot.headed and self.conn.their_state is not h11.IDLE:
            self.gate.headed(self.slot)


class GuardedTLS(sslproto.SSLProtocol):
    """TLS around ``GuardedH11``: the slot is taken when the socket is accepted, so a flood of
    unfinished handshakes is bounded like idle plain sockets."""

    def __init__(self, loop: asyncio.AbstractEventLoop, inner: GuardedH11, context: ssl.SSLContext, gate: Gate):
        super().__init__(loop, inner, context, None, server_side=True, ssl_handshake_timeout=gate.head_s)
        self.gate, self.inner = gate, inner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.slot = self.gate.admit(transport)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.inner.slot is not None:
            self.gate.left(self.inner.slot)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:  # pragma: no cover — 3.11 uses get_buffer/buffer_updated
        if self.inner.slot is not None:
            self.inner.slot.bytes += len(data)
        super().data_received(data)

    def buffer_updated(self, nbytes: int) -> None:
        if self.inner.slot is not None:
            self.inner.slot.bytes += nbytes
        super().buffer_updated(nbytes)


def protocol_factory(gate: Gate, context: ssl.SSLContext | None = None) -> Any:
    """What uvicorn's ``Config(http=...)`` takes: called once per accepted connection."""

    class Guarded(GuardedH11):
        pass

    Guarded.gate = gate

    def make(config: Any, server_state: Any, app_state: Any, _loop: Any = None) -> asyncio.BaseProtocol:
        inner = Guarded(config=config, server_state=server_state, app_state=app_state, _loop=_loop)
        if context is None:
            return inner
        return GuardedTLS(_loop or asyncio.get_running_loop(), inner, context, gate)

    return make
