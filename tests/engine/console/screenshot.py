"""Takes ``docs/console.png``: the console during a demo session, as a therapist sees it.

    .venv/bin/python tests/engine/console/screenshot.py [--out docs/console.png]

A demo with the shipped policy (person seed 2, who lets it climb) at 10× speed, an
injected loss of every physiological stream (its sensor alerts are acknowledged on the
page) and then a heart-rate surge (the shield steps in; new alerts stand open, as they do
until acknowledged); a note and a SUDS request are given through the page, as a therapist
would, then the page is captured at its full height. Takes about a minute a try.

The demo is not deterministic (the person lives in real time against real LSL streams), and
on some runs the policy, reading this person, barely leaves the ground: a picture of that
shows little, so the script tries again (``--tries``) until the policy has climbed to level
4 before the faults.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.engine.console.browser import Demo, chromium, wait_for  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "console.png")
    ap.add_argument("--at", type=float, default=470.0, help="session second to take it at (default 470)")
    ap.add_argument("--tries", type=int, default=3)
    args = ap.parse_args()
    for attempt in range(1, args.tries + 1):
        if shoot(args):
            return 0
        print(f"try {attempt}: the policy had not climbed to level 4 before the faults; once more")
    print("the policy never climbed to level 4; no picture written")
    return 1


def shoot(args: argparse.Namespace) -> bool:
    demo = Demo(
        Path(tempfile.mkdtemp(prefix="vrex-shot-")),
        "--seed",
        "2",
        "--inject",
        "dropout@300:20",
        "--inject",
        "hr_surge@400:45:50",
        speed=10.0,
        baseline=60.0,
    )
    browser = chromium(1600, 1000)
    try:
        from selenium.webdriver.common.by import By

        browser.get(demo.url)
        t = lambda: browser.execute_script("return window.vrexConsole.state && window.vrexConsole.state.t") or 0  # noqa: E731
        wait_for(lambda: t() > 200, 120, "session second 200")
        browser.find_element(By.ID, "note").send_keys("Reports dizziness looking down; breathing coached.")
        browser.find_element(By.ID, "note-add").click()
        wait_for(lambda: t() > 290, 120, "session second 290")
        if browser.execute_script("return window.vrexConsole.state.top_reached") < 3:
            return False
        wait_for(lambda: t() > 380, 120, "session second 380")
        ack_all = browser.find_element(By.ID, "ack-all")  # the therapist has seen the dropout's alerts
        if ack_all.is_displayed():
            ack_all.click()
        wait_for(lambda: t() > args.at - 30, 120, f"session second {args.at - 30:.0f}")
        browser.find_element(By.ID, "ask").click()
        wait_for(lambda: t() > args.at, 120, f"session second {args.at:.0f}")
        time.sleep(0.5)
        browser.execute_script("document.documentElement.style.overflow = 'hidden'")  # no scroll bar in the picture
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1600, "height": int(height), "deviceScaleFactor": 1, "mobile": False},
        )
        time.sleep(0.6)  # a redraw at the new size
        args.out.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(args.out))
        print(f"written {args.out} ({height} px high)")
        return True
    finally:
        browser.quit()
        demo.stop()


if __name__ == "__main__":
    sys.exit(main())
