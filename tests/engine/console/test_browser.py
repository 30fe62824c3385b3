"""The console in a real headless Chromium (Selenium, Debian's chromium and chromedriver)
against a real ``vrex demo`` in its own process: real LSL, Panda3D offscreen, the real
server. What the issue asks: the page shows live values; a click on STOP brings the scene
to its calm state and is in the event log; hold keeps the controller from raising; a
request without the token is refused and changes nothing.

The controller is the fixed schedule (one level up every 150 s at a level, whatever the
sensors say), so a controller that wants to raise is guaranteed: what keeps it from
raising during a hold can only be the hold. Demo at 10× speed: 150 session seconds are
15 wall seconds. One demo serves all the tests, in order.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import pytest

from tests.engine.console.browser import Demo, browser_missing, chromium, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = Demo(tmp_path_factory.mktemp("sessions"), "--seed", "2", "--controller", "fixed", speed=10.0, baseline=30.0)
    yield d
    d.stop()


@pytest.fixture(scope="module")
def page(demo):
    from selenium.webdriver.common.by import By

    browser = chromium()
    browser.get(demo.url)
    browser.by_id = lambda id_: browser.find_element(By.ID, id_)
    browser.css = lambda sel: browser.find_element(By.CSS_SELECTOR, sel)
    yield browser
    browser.quit()


def text(page, id_: str) -> str:
    """What the element holds (not as CSS shows it: the phase is capitalised on screen)."""
    return (page.by_id(id_).get_attribute("textContent") or "").strip()


def seconds(clock: str) -> int:
    m, s = clock.split(":")[-2:]
    return int(m) * 60 + int(s)


def after(events, seq):
    return [e for e in events if e["seq"] > seq]


def test_the_page_shows_live_values(page, demo):
    wait_for(lambda: re.fullmatch(r"\d{2,3}", text(page, "v-hr")), 60, "a heart rate on the page")
    first = seconds(text(page, "clock"))
    wait_for(lambda: seconds(text(page, "clock")) >= first + 5, 10, "the session clock to advance")
    assert text(page, "phase") in ("baseline", "exposure")
    assert text(page, "conn") == "● live"
    chips = dict(
        page.execute_script(
            "return [...document.querySelectorAll('#sensors tr')].map("
            "r => [r.querySelector('.name').textContent, r.querySelector('.chip').textContent])"
        )
    )
    assert chips.get("ECG") == "fresh" and {"PPG", "EDA", "RESP"} <= set(chips)
    assert len(page.find_elements("css selector", "#ladder li")) == 11
    assert "Exterior lift" in text(page, "scenario")
    wait_for(
        lambda: (
            page.find_elements("css selector", "#p-hr")
            and page.execute_script("return window.vrexConsole.points.filter(p => p[2] !== null).length") > 5
        ),
        20,
        "HR points for the plot",
    )


def test_the_token_leaves_the_address_and_a_reload_still_works(page, demo):
    wait_for(lambda: text(page, "clock") not in ("", "—"), 60, "live values")
    assert demo.token not in page.current_url and page.execute_script("return location.search") == ""
    page.refresh()  # the HttpOnly cookie carries the token now
    wait_for(lambda: page.execute_script("return !!(window.vrexConsole && window.vrexConsole.state)"), 30, "live again")
    assert demo.token not in page.current_url
    assert page.execute_script("return document.cookie") == ""  # HttpOnly: the page's script cannot read it


def test_the_page_shows_what_the_patient_sees(page, demo):
    """The renderer's picture reaches the page and is drawn: a decoded image of the desktop
    view (640×360 shrunk to 320×180), new ones several times a second, shown as live."""
    shown = "const i = document.getElementById('eye-img'); return [i.naturalWidth, i.naturalHeight, i.dataset.seq];"
    wait_for(lambda: page.execute_script(shown)[0] > 0, 30, "a picture in the panel")
    width, height, seq = page.execute_script(shown)
    assert (width, height) == (320, 180)
    wait_for(lambda: int(page.execute_script(shown)[2]) >= int(seq) + 5, 10, "five more pictures")
    assert text(page, "eye-info").startswith("live") and page.by_id("eye-stale").get_attribute("hidden") is not None


def test_stop_brings_the_scene_to_its_calm_state_and_is_logged(page, demo):
    wait_for(lambda: text(page, "phase") == "exposure", 60, "exposure")
    level4 = '#ladder li[data-level="4"] button'
    wait_for(lambda: page.css(level4).is_enabled(), 10, "the ladder to be enabled")
    page.css(level4).click()  # three levels up: the server asks for a second click
    wait_for(lambda: "armed" in page.css('#ladder li[data-level="4"]').get_attribute("class"), 10, "level 4 armed")
    page.css(level4).click()
    wait_for(lambda: text(page, "v-level") == "4 / 11", 60, "level 4 shown")
    mark = max(e["seq"] for e in demo.events())
    page.by_id("stop").click()
    wait_for(
        lambda: text(page, "v-level") == "1 / 11" and text(page, "v-int") == "0.00", 30, "the calm state on the page"
    )
    wait_for(lambda: page.find_elements("css selector", '#log tr[data-command="stop"]'), 10, "stop in the page's log")
    events = after(demo.events(), mark)
    (stop,) = [e for e in events if e["kind"] == "command" and e["command"] == "stop"]
    assert stop["source"] == "console" and stop["accepted"] is True and stop["t"] > 0
    # the session logs the change of intensity as it applies the command, then the command
    (calm,) = [e for e in events if e["kind"] == "intensity" and e["source"] == "console"]
    assert calm["target"] == 0.0 and "calm state now" in calm["reason"] and calm["seq"] < stop["seq"]
    shown = [e for e in after(events, stop["seq"]) if e["kind"] == "shown"]
    assert shown and shown[-1]["level"] == 0  # the scene itself reached the calm level
    assert "STOPPED" in text(page, "banners")


def test_hold_keeps_the_controller_from_raising(page, demo):
    page.by_id("resume").click()
    wait_for(lambda: text(page, "therapist").startswith("Controller may act"), 10, "resumed")
    page.css('#ladder li[data-level="2"] button').click()
    wait_for(lambda: text(page, "v-level") == "2 / 11", 30, "level 2 shown")
    page.by_id("hold").click()
    wait_for(lambda: "ON HOLD" in text(page, "banners"), 10, "the hold banner")
    (hold,) = wait_for(
        lambda: [e for e in demo.events() if e["kind"] == "command" and e["command"] == "hold"],
        10,
        "the hold in the log",
    )
    assert hold["source"] == "console" and hold["accepted"]
    # 180 session seconds: more than the fixed schedule's 150 s at a level, so it asks to go up
    wait_for(lambda: demo.events()[-1]["t"] > hold["t"] + 180, 60, "180 s of session time on hold")
    during = after(demo.events(), hold["seq"])
    decisions = [e for e in during if e["kind"] == "decision"]
    assert len(decisions) >= 20
    assert not [e for e in during if e["kind"] == "intensity" and e["target"] > e["previous"]], "raised during hold"
    assert text(page, "v-level") in ("1 / 11", "2 / 11")
    page.by_id("resume").click()
    (resume,) = wait_for(
        lambda: [e for e in after(demo.events(), hold["seq"]) if e["kind"] == "command" and e["command"] == "resume"],
        10,
        "the resume in the log",
    )
    # the proof that the hold is what held it: released, the controller raises at its next decisions
    wait_for(
        lambda: [
            e
            for e in after(demo.events(), resume["seq"])
            if e["kind"] == "intensity" and e["source"] == "controller" and e["target"] > e["previous"]
        ],
        30,
        "a raise after resume",
    )


def test_requests_without_the_token_are_refused_and_change_nothing(page, demo):
    before_events = demo.events()
    mark = before_events[-1]["seq"]
    tries = [
        urllib.request.Request(demo.base + "/"),
        urllib.request.Request(demo.base + "/?token=" + demo.token[:-1] + "x"),
        urllib.request.Request(demo.base + "/api/state"),
        urllib.request.Request(demo.base + "/api/command", data=json.dumps({"command": "stop"}).encode()),
        urllib.request.Request(
            demo.base + "/api/command", data=json.dumps({"command": "stop"}).encode(), headers={"X-Vrex-Token": "guess"}
        ),
        urllib.request.Request(
            demo.base + "/api/command?token=" + demo.token,  # a query token is not enough
            data=json.dumps({"command": "stop"}).encode(),
        ),
    ]
    for req in tries:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 401, req.full_url
    from websockets.sync.client import connect

    with pytest.raises(Exception, match="401"):
        with connect(demo.base.replace("http", "ws") + "/ws", open_timeout=10):
            pass
    time.sleep(2.0)  # 20 session seconds: any stop would be in the log
    later = after(demo.events(), mark)
    assert not [e for e in later if e["kind"] == "command"]
    assert not [e for e in later if e["kind"] == "intensity" and e["target"] == 0.0]
    assert "STOPPED" not in text(page, "banners")


def test_the_page_keeps_working_and_the_session_ends_cleanly(page, demo, tmp_path):
    page.save_screenshot(str(tmp_path / "console.png"))  # for a person looking into a failure
    assert text(page, "conn") == "● live"
    code = demo.stop()
    assert code == 0, f"exit {code}; the demo's last output:\n{demo.output[-3000:]}"
    events = demo.events()
    assert events[-1]["kind"] == "session_end"
    assert demo.token not in (demo.folder / "events.jsonl").read_text()
    wait_for(lambda: text(page, "conn") == "not connected", 10, "the page to notice the session is gone")
