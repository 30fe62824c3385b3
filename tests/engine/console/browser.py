"""A running ``vrex demo`` with its console, and a real headless Chromium to drive it.

Used by the browser tests, the console benchmark's click-to-calm measurement and
``screenshot.py``. Chromium and its driver are Debian's (``chromium``, ``chromium-driver``;
``bash run.sh test`` installs them): Selenium is pointed at them explicitly, so it never
tries to download a browser (the machines have no internet).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def find(candidates: tuple[str, ...], name: str) -> str | None:
    return next((p for p in candidates if os.path.exists(p)), None) or shutil.which(name)


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[test]'"
    if not find(CHROMIUM, "chromium"):
        return "no chromium: apt-get install chromium chromium-driver (bash run.sh test does)"
    if not find(DRIVER, "chromedriver"):
        return "no chromedriver: apt-get install chromium-driver (bash run.sh test does)"
    return None


def chromium(width: int = 1600, height: int = 1060):
    """A headless Chromium under Selenium, Debian's binaries."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = find(CHROMIUM, "chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=find(DRIVER, "chromedriver")), options=options)


class Demo:
    """``vrex demo`` in a child process with its console on a free port; ``url`` once it is up."""

    def __init__(self, out: Path, *args: str, speed: float = 10.0, baseline: float = 30.0, minutes: float = 30.0):
        self.out = Path(out)
        cmd = [
            sys.executable,
            "-m",
            "engine.cli",
            "demo",
            "--speed",
            f"{speed:g}",
            "--baseline",
            f"{baseline:g}",
            "--minutes",
            f"{minutes:g}",
            "--recovery",
            "10",
            "--out",
            str(self.out),
            "--display",
            "offscreen",
            "--renderer",
            "p3tinydisplay",
            "--console-port",
            "0",
            "--no-report",
            *args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_ctrl_c_works,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_url()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def _wait_url(self, timeout: float = 120.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in self.lines:
                m = re.match(r"console: (http://\S+)", line)
                if m:
                    return m.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"vrex demo ended before its console started:\n{self.output[-3000:]}")
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"vrex demo printed no console URL in {timeout} s:\n{self.output[-3000:]}")

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    @property
    def folder(self) -> Path:
        (folder,) = [d for d in (self.out / "demo").iterdir() if d.is_dir()]
        return folder

    def events(self) -> list[dict]:
        from engine.session.events import read_events

        return read_events(self.folder / "events.jsonl")[0]

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl-C, as a user would; the session closes its recording. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGUSR1)  # vrex prints where each thread is stuck
                time.sleep(2.0)
                self.proc.kill()
                self.proc.wait(10)
        self._reader.join(5)
        return self.proc.returncode


def _ctrl_c_works() -> None:
    """In the demo's process, before it starts: Ctrl-C as in a terminal. A test run started
    in the background of a script (``nohup bash .ci/run &``) ignores SIGINT, children inherit
    that, and Python then keeps it ignored, so ``stop()``'s Ctrl-C would go unheard."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(predicate, timeout: float, what: str, poll: float = 0.1):
    """``predicate()``'s first truthy value within ``timeout`` seconds, else AssertionError naming ``what``."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 — a page still loading; try again
            last = exc
        else:
            if last:
                return last
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
