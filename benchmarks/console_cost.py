"""The browser console's cost to the frames, and the time from a click on STOP to the
first calm frame (issues 6 and 12).

    python benchmarks/console_cost.py [--size 640x360] [--display p3tinydisplay] [--json OUT]

One real session, as ``session_loop.py`` runs it (renderer process; simulated patient over
LSL at real time, ``sensors``, the shield, vrex's outlets, the event log, LabRecorder),
held at the heights scene's highest level. Frame time (the renderer's work per frame, from
its own records) is measured in blocks of ``--seconds``, the conditions taking turns
``--rounds`` times so that drift in the machine's load falls on all of them alike:

- ``off``: no console at all (no server thread, no observer);
- ``observer``: only the snapshot observer on the control thread (no server): its own cost;
- ``server``: the server and the snapshot observer, nobody watching;
- ``websocket``: plus one WebSocket client reading every message, as a page does;
- ``browser``: plus headless Chromium showing the page (drawing its plots at 5 Hz):
  what a therapist's browser on the *same* machine costs the session; on the 2-core CI
  machine the browser competes with the render loop for the cores.

**Click → calm frame**: in the ``browser`` condition, at a random moment, Selenium clicks
the page's STOP button (from another thread; the loop keeps running). Measured to the end
of the first frame drawn with the calm veil (its stamp): from the Selenium click call and
from the moment the server put the command on the queue, with the number of frames
finished between the put and that frame (goal: the next frame).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from session_loop import Driver, StayAtTarget, percentiles, unafraid  # noqa: E402


class Console:
    """The console as ``start_console`` wires it, with the queue's put and the observer timed."""

    def __init__(self, session, serve: bool = True):
        from engine.console.event_tail import EventTail
        from engine.console.server import create_app, new_token
        from engine.console.service import ConsoleServer, bind
        from engine.console.state import ConsoleState

        runner = session.runner
        self.runner, self.state, self.puts, self.observer_ms = runner, ConsoleState(), [], []
        self.token = new_token()
        levels = [{"name": n, "intensity": v} for n, v in zip(session.core.plan.names, session.core.plan.levels)]
        info = {
            "patient": "bench",
            "session_id": session.folder.session_id,
            "scenario": "heights",
            "levels": levels,
            "ceiling": 1.0,
            "hr_ceiling_rel": 0.4,
            "hr_ceiling_bpm": 150.0,
            "controller": "stay",
            "demo": True,
            "speed": 1.0,
            "phases_s": {"baseline": 25.0, "exposure": 3600.0, "recovery": 5.0},
            "rate_hz": 5.0,
            "window_s": 600.0,
        }

        def put(command):  # on the server thread: when (LSL clock, as frame stamps)
            from sensors.lsl import local_clock

            self.puts.append(local_clock())
            runner.commands.put(command)

        app = create_app(
            token=self.token,
            latest=lambda: self.state.latest,
            put=put,
            levels=len(levels),
            info=info,
            tail=EventTail(session.folder.events),
        )
        self.server = ConsoleServer(app, bind("127.0.0.1", 0), self.token).start() if serve else None
        runner.observers.append(self.observe)

    def observe(self, runner) -> None:
        t0 = time.perf_counter()
        self.state(runner)
        self.observer_ms.append((time.perf_counter() - t0) * 1000.0)

    def stop(self) -> None:
        self.runner.observers.remove(self.observe)
        if self.server is not None:
            self.server.stop()


class Reader(threading.Thread):
    """A WebSocket client reading everything, as the page does."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.messages, self.stopping = url, 0, threading.Event()

    def run(self) -> None:
        from websockets.sync.client import connect

        with connect(self.url) as ws:
            while not self.stopping.is_set():
                try:
                    json.loads(ws.recv(timeout=0.5))
                    self.messages += 1
                except TimeoutError:
                    pass


def main() -> int:
    from _machine import machine_info, write_result

    from engine.commands.view import parse_size

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=parse_size, default=(640, 360))
    ap.add_argument("--display", choices=("p3headlessgl", "p3tinydisplay"), default=None)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of one block of frames")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--clicks", type=int, default=15)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "console_cost_cpu.json")
    args = ap.parse_args()

    import tempfile

    from engine.session.core import Mode
    from engine.session.launch import OpenSession, SessionOptions
    from engine.session.runner import Command
    from tests.engine.console.browser import browser_missing, chromium

    missing = browser_missing()
    opts = SessionOptions(
        scenario=ROOT / "scenarios" / "heights.yaml",
        patient="bench",
        mode=Mode.AUTO,
        offscreen=True,
        renderer=args.display,
        size=args.size,
        root=Path(tempfile.mkdtemp(prefix="vrex-bench-")),
        speed=1.0,
        demo=True,
        seed=2,
        baseline_s=25.0,
        exposure_s=3600.0,
        recovery_s=5.0,
        status=False,
    )
    result: dict = {
        "machine": machine_info(),
        "size": list(args.size),
        "seconds_per_block": args.seconds,
        "rounds": args.rounds,
    }
    with OpenSession(opts, controller=StayAtTarget()) as s:
        runner, core = s.runner, s.core
        result["renderer"], result["frame_rate"] = s.renderer, s.fps
        unafraid(s)  # minutes at the top level must not end in an escape: frames are measured here
        s.begin()
        d = Driver(s)

        def until(pred, limit: float) -> None:
            if not d.run(limit, pred):
                raise SystemExit(f"benchmark: condition not reached in {limit} s (phase {core.phase.value})")

        def frames(seconds: float) -> list[float]:
            d.rows.clear()
            d.run(seconds)
            return [x[1] for x in d.rows]

        until(lambda: core.phase.value == "exposure", 120)
        runner.commands.put(Command("set_level", {"level": len(core.plan.levels)}))
        until(lambda: runner.shown.intensity >= core.plan.levels[-1] - 1e-6, 60)

        blocks: dict[str, list[float]] = {"off": [], "observer": [], "server": [], "websocket": [], "browser": []}
        observer_ms: list[float] = []
        browser = None
        for _ in range(args.rounds):
            blocks["off"] += frames(args.seconds)
            console = Console(s, serve=False)
            blocks["observer"] += frames(args.seconds)
            console.stop()
            observer_ms += console.observer_ms
            console = Console(s)
            blocks["server"] += frames(args.seconds)
            reader = Reader(f"ws://127.0.0.1:{console.server.port}/ws?token={console.token}")
            reader.start()
            blocks["websocket"] += frames(args.seconds)
            reader.stopping.set()
            reader.join(5)
            if missing is None:
                browser = chromium()
                browser.get(console.server.url)
                frames(2.0)  # not counted: the page loading
                blocks["browser"] += frames(args.seconds)
                browser.quit()
            console.stop()
            observer_ms += console.observer_ms
        result["frame_ms"] = {k: percentiles(v) for k, v in blocks.items() if v}
        result["observer_ms_per_step"] = percentiles(observer_ms)
        result["fps"] = {k: round(len(v) / (args.seconds * args.rounds), 1) for k, v in blocks.items() if v}

        if missing is None:
            result["click_to_calm"] = clicks(s, d, args.clicks, chromium, until)
        else:
            result["click_to_calm"] = f"not measured: {missing}"
        s.end_reason = "benchmark done"
    print_result(result)
    write_result(args.json, result)
    return 0


def clicks(s, d, n: int, chromium, until) -> dict:
    from selenium.webdriver.common.by import By

    from engine.session.runner import Command
    from sensors.lsl import local_clock

    runner = s.runner
    console = Console(s)
    browser = chromium()
    browser.get(console.server.url)
    runs = []
    try:
        until(lambda: browser.execute_script("return !!(window.vrexConsole && window.vrexConsole.state)"), 30)
        stop = browser.find_element(By.ID, "stop")
        for _ in range(n):
            runner.commands.put(Command("resume"))
            runner.commands.put(Command("set_level", {"level": 4}))
            until(lambda: runner.shown.intensity > 0.25 and not runner.shown.calming, 60)
            puts_before = len(console.puts)
            clicked: list[float] = []

            def click(clicked: list[float] = clicked) -> None:
                time.sleep(random.uniform(0.0, 0.1))
                clicked.append(local_clock())
                stop.click()

            d.rows.clear()
            worker = threading.Thread(target=click)
            worker.start()
            until(lambda clicked=clicked: bool(clicked) and any(x[3] > 0.0 and x[0] > clicked[0] for x in d.rows), 30)
            worker.join(10)
            put = console.puts[puts_before]
            done = next(x[0] for x in d.rows if x[3] > 0.0 and x[0] > clicked[0])
            runs.append(
                {
                    "click_call_ms": (done - clicked[0]) * 1000.0,
                    "put_ms": (done - put) * 1000.0,
                    "frames_after_put": sum(1 for x in d.rows if put < x[0] <= done),
                }
            )
            until(lambda: not runner.shown.calming, 30)
    finally:
        browser.quit()
        console.stop()
    return {
        "runs": [{k: round(v, 2) for k, v in r.items()} for r in runs],
        "frames_after_put_max": max(r["frames_after_put"] for r in runs),
        "from_click_call": percentiles([r["click_call_ms"] for r in runs]),
        "from_queue_put": percentiles([r["put_ms"] for r in runs]),
    }


def print_result(r: dict) -> None:
    print(
        f"renderer {r['renderer']}, {r['size'][0]}x{r['size'][1]}; {r['rounds']} rounds of {r['seconds_per_block']} s"
    )
    for k, v in r["frame_ms"].items():
        print(f"frame time, console {k:9}: {v}  ({r['fps'][k]} fps)")
    print(f"the snapshot observer's own time per control step: {r['observer_ms_per_step']}")
    c = r["click_to_calm"]
    if isinstance(c, str):
        print(f"click → calm frame: {c}")
    else:
        print(f"click → first calm frame, from the Selenium click: {c['from_click_call']}")
        print(
            f"                    from the server's queue put: {c['from_queue_put']}, "
            f"frames begun after the put ≤ {c['frames_after_put_max']}"
        )


if __name__ == "__main__":
    sys.exit(main())
