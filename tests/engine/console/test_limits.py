"""The console's server under attack, on a real socket in a process of its own whose
descriptor limit is lowered (``flood_server.py``), as a desktop's 1,024 would be: idle and
trickling sockets, a huge body, WebSocket messages. STOP must still be answered, and
connections that send no request in time must be dropped (issue 16)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.engine.console.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[3]
NOFILE = 256  # the server process's descriptor limit
FLOOD = 600  # idle sockets: more than the server could ever hold at once
HEAD_S = 1.0  # the server's deadline for a request head in these tests


class Served:
    def __init__(self, tmp: Path):
        self.err_path = tmp / "server-stderr.txt"
        self.err = open(self.err_path, "w")  # a file: a flood of tracebacks cannot block the server on a pipe
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.engine.console.flood_server", str(NOFILE), str(HEAD_S)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), f"the console did not start: {line!r} {self.err_path.read_text()[-2000:]}"
        self.port = int(line.split()[1])

    def command(self, name: str, timeout: float) -> tuple[dict, float]:
        """``name`` sent as a script would, and how long its verdict took to come back."""
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(
                "POST",
                "/api/command",
                json.dumps({"command": name}),
                {"X-Vrex-Token": TOKEN, "Content-Type": "application/json"},
            )
            r = conn.getresponse()
            body = json.loads(r.read())
        finally:
            conn.close()
        return {"status": r.status, **body}, time.monotonic() - t0

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.err.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = Served(tmp_path_factory.mktemp("flood"))
    yield s
    s.close()


def closed_by_server(sock: socket.socket, within_s: float) -> float | None:
    """Seconds until the server closed ``sock`` (recv gives b"" or a reset), or None."""
    t0 = time.monotonic()
    sock.settimeout(0.1)
    while time.monotonic() - t0 < within_s:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - t0
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


@pytest.mark.slow
def test_stop_is_answered_within_a_second_under_a_flood_of_idle_and_trickling_sockets(served):
    quiet, quiet_s = served.command("stop", timeout=10)  # the same request without the flood
    assert quiet["status"] == 200 and quiet["accepted"] is True, quiet
    assert served.command("resume", timeout=10)[0]["accepted"] is True
    flood: list[socket.socket] = []
    stop_trickle = threading.Event()

    def trickle(socks: list[socket.socket]) -> None:  # a byte each 0.2 s: never a whole request head
        while not stop_trickle.is_set():
            for s in socks:
                try:
                    s.send(b"G")
                except OSError:
                    pass
            time.sleep(0.2)

    try:
        for _ in range(FLOOD):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", served.port))
            flood.append(s)
        trickler = threading.Thread(target=trickle, args=(flood[:100],), daemon=True)
        trickler.start()
        time.sleep(0.5)  # the flood is in: queued, accepted, or already dropped
        # the property: STOP answered within 1 s under the flood. The limit is 1 s plus what the
        # same request took without the flood, so a loaded machine does not fail it by itself
        limit = 1.0 + quiet_s
        try:
            answer, flooded_s = served.command("stop", timeout=limit)
        except (TimeoutError, OSError) as exc:
            pytest.fail(
                f"STOP not answered within {limit:.2f} s under the flood ({exc!r}); without it: {quiet_s:.3f} s"
            )
        print(f"STOP answered in {quiet_s * 1000:.0f} ms without the flood, {flooded_s * 1000:.0f} ms under it")
        assert answer["status"] == 200 and answer["accepted"] is True, answer
        state, _ = (None, None)
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=limit)
        conn.request("GET", "/api/state", headers={"X-Vrex-Token": TOKEN})
        state = json.loads(conn.getresponse().read())["state"]
        conn.close()
        assert state["therapist"] == "stop"
    finally:
        stop_trickle.set()
        for s in flood:
            s.close()
    lines = served.err_path.read_text().splitlines()
    assert len(lines) < 20, f"the server wrote {len(lines)} lines under the flood: {lines[:5]}"


@pytest.mark.parametrize("send", [b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_connection_without_a_whole_request_head_is_dropped(served, send):
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
    try:
        sock.sendall(send)
        stop = threading.Event()

        def trickle() -> None:
            while not stop.wait(0.2):
                try:
                    sock.send(b"X-A: b\r\n")  # headers that never end
                except OSError:
                    return

        threading.Thread(target=trickle, daemon=True).start()
        after = closed_by_server(sock, within_s=10 * HEAD_S + 5)
        stop.set()
        assert after is not None, "the server kept a connection that never sent its request head"
    finally:
        sock.close()


def test_a_huge_body_is_refused_from_its_length_before_it_is_read(served):
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    try:
        head = (
            f"POST /api/command HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\nX-Vrex-Token: {TOKEN}\r\n"
            "Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"command": ')  # 200 MB announced, a few bytes sent
        answer = b""
        while b"at most" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert b"at most 16384" in answer, answer
    finally:
        sock.close()


def test_a_websocket_message_from_the_client_closes_it(served):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    for message, code in (("hello", 1008), ("x" * 100_000, 1009)):
        with connect(f"ws://127.0.0.1:{served.port}/ws?token={TOKEN}", open_timeout=10, max_size=None) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            ws.send(message)
            with pytest.raises(ConnectionClosed) as closed:
                end = time.monotonic() + 10
                while time.monotonic() < end:
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code


def test_a_refused_request_does_not_keep_its_connection(served):
    for path, headers in (("/nope", {}), ("/api/state", {}), ("/api/state", {"Host": "evil.example"})):
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        r.read()
        assert r.status in (401, 404, 421) and r.getheader("connection") == "close", (path, r.status)
        conn.close()


def test_the_gate_drops_the_oldest_silent_connection_first():
    import asyncio

    from engine.console.limits import Gate

    class Transport:
        def __init__(self) -> None:
            self.aborted = False

        def abort(self) -> None:
            self.aborted = True

        def is_closing(self) -> bool:
            return self.aborted

    async def run() -> None:
        gate = Gate(max_open=8, max_pending=3, head_s=60, grace_s=0.5)
        talking, silent_old, silent_new = Transport(), Transport(), Transport()
        slots = [gate.admit(t) for t in (talking, silent_old, silent_new)]
        for slot in slots:
            slot.since -= 10  # accepted 10 s ago: past the grace a socket just accepted has
        slots[0].bytes = 10  # the oldest has sent part of a head: it is not the first to go
        gate.admit(Transport()).since -= 10
        assert silent_old.aborted and not talking.aborted and not silent_new.aborted
        gate.headed(slots[2])  # a whole head: no longer waiting, never dropped for room
        t4 = [s for s in gate.pending.values() if s.transport not in (talking,)][0]
        t5 = gate.admit(Transport())
        t5.bytes = 1
        gate.admit(Transport())  # full again: the silent one goes, though it is newer than `talking`
        assert t4.transport.aborted and not talking.aborted
        gate.pending[next(reversed(gate.pending))].bytes = 1  # now all waiting ones have sent something
        gate.admit(Transport())
        assert talking.aborted and not silent_new.aborted and gate.dropped == 3

    asyncio.run(run())


def test_a_connection_just_accepted_is_not_taken_for_an_idle_one():
    """asyncio accepts a batch of sockets and admits them all before any of them is read: a
    STOP accepted in a batch has sent nothing *yet*. With the waiting room full of trickling
    sockets, the next socket of the batch must push out a trickler, not the STOP."""
    import asyncio

    from engine.console.limits import Gate

    class Transport:
        def __init__(self) -> None:
            self.aborted = False

        def abort(self) -> None:
            self.aborted = True

        def is_closing(self) -> bool:
            return self.aborted

    async def run() -> None:
        gate = Gate(max_open=64, max_pending=4, head_s=60, grace_s=60)  # every socket here is "just accepted"
        tricklers = [Transport() for _ in range(4)]
        for t in tricklers:
            gate.admit(t).bytes = 1  # a byte now and then, never a whole head
        stop = Transport()
        gate.admit(stop)  # the room is full: a trickler goes
        gate.admit(Transport())  # the next socket of the same batch
        assert not stop.aborted, "the STOP just accepted was dropped as if it were idle"
        assert sum(t.aborted for t in tricklers) == 2

    asyncio.run(run())
