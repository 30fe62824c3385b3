"""What the patient sees, in the console: only with the token; a picture the page can decode,
at its size and pixel for pixel what the renderer shared; its age, so that a renderer that
stopped is shown stale; the head's direction and the gaze target placed on the picture as
the eye's own lens places them; the runner's looking-away verdict in the snapshot."""

from __future__ import annotations

import base64
import io
import math
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from engine.console.eyes import STALE_S, png, project
from engine.console.server import create_app
from engine.console.state import ConsoleState
from engine.session.eyeshare import EyeShare, Picture
from tests.engine.console.conftest import TOKEN

H = {"X-Vrex-Token": TOKEN}


def frame(k: int) -> np.ndarray:
    """The k-th picture: 258×276 like a headset's eye at 1/8 scale, different every time."""
    y, x = np.mgrid[0:276, 0:258]
    return np.stack([(x + k) % 256, y % 256, np.full_like(x, k % 256)], -1).astype(np.uint8)


class Renderer:
    """Writes a new picture into the block five times a second until stopped, as the mirror does."""

    def __init__(self, eyes: EyeShare):
        self.eyes, self.k, self._stop = eyes, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.k += 1
            self.eyes.write(
                frame(self.k),
                stamp=1000.0 + self.k,
                frame=self.k,
                head=(20.0, 0.0, 0.0),
                gaze=(0.0, 0.0),
                gaze_off_deg=20.0,
                stereo=True,
            )
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)


@pytest.fixture
def eyes():
    return EyeShare()


@pytest.fixture
def eye_client(loop, eyes, app):
    from fastapi.testclient import TestClient

    info = {"patient": "T1", "session_id": "test", "scenario": "test", "levels": [], "phases_s": {}, "window_s": 600.0}
    eye_app = create_app(
        token=TOKEN,
        latest=lambda: loop.state.latest,
        put=loop.runner.commands.put,
        levels=11,
        info=info,
        tail=None,
        rate_hz=20.0,
        eyes=eyes,
        hosts=("testserver",),
    )
    with TestClient(eye_app) as c:
        yield c


def decode(data_uri: str) -> np.ndarray:
    from PIL import Image

    assert data_uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))).convert("RGB"))


def eye_message(ws, tries: int = 200) -> dict:
    for _ in range(tries):
        m = ws.receive_json()
        if m["type"] == "eye":
            return m
    raise AssertionError("no eye message")


def test_the_picture_needs_the_token(eye_client, eyes):
    from starlette.testclient import WebSocketDenialResponse

    Renderer(eyes).stop()  # one picture is there to be had
    for url in ("/ws", "/ws?token=wrong", f"/ws?token={TOKEN}x"):
        with pytest.raises(WebSocketDenialResponse) as denied:
            with eye_client.websocket_connect(url):
                pass
        assert denied.value.status_code == 401
    for headers, params in (({}, {}), ({"X-Vrex-Token": "wrong"}, {}), ({}, {"token": "wrong"})):
        r = eye_client.get("/api/eye.png", headers=headers, params=params)
        assert r.status_code == 401 and not r.content.startswith(b"\x89PNG")
    r = eye_client.get("/api/eye.png", headers=H)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG")


def test_the_websocket_delivers_the_picture_decodable_at_its_size(eye_client, eyes, loop):
    renderer = Renderer(eyes)
    try:
        with eye_client.websocket_connect(f"/ws?token={TOKEN}") as ws:
            hello = ws.receive_json()
            assert hello["type"] == "hello" and hello["info"]["eye"] is True
            first = eye_message(ws)
            assert (first["width"], first["height"], first["eye"]) == (258, 276, "left")
            pixels = decode(first["image"])
            assert pixels.shape == (276, 258, 3) and np.array_equal(pixels, frame(first["frame"]))
            assert 0.0 <= first["age_s"] < STALE_S and first["gaze_off_deg"] == 20.0
            second = eye_message(ws)
            assert second["seq"] > first["seq"]  # each new picture, once
            assert np.array_equal(decode(second["image"]), frame(second["frame"]))
    finally:
        renderer.stop()


def test_a_renderer_that_stops_leaves_a_picture_that_ages(eye_client, eyes, loop):
    Renderer(eyes).stop()
    loop.until(lambda: loop.state.latest is not None, what="a snapshot")
    with eye_client.websocket_connect(f"/ws?token={TOKEN}") as ws:
        ws.receive_json()
        ages = []
        end = time.monotonic() + 20
        while time.monotonic() < end and not (ages and ages[-1] > STALE_S + 0.2):
            m = ws.receive_json()
            if m["type"] == "state":
                ages.append(m["eye_age_s"])
        assert ages[-1] > STALE_S and ages == sorted(ages)  # older and older: the page shows it stale


def test_no_picture_is_said_so(client):
    with client.websocket_connect(f"/ws?token={TOKEN}") as ws:  # the console's plain app: no eyes
        assert ws.receive_json()["info"]["eye"] is False
        assert ws.receive_json()["eye_age_s"] is None
    assert client.get("/api/eye.png", headers=H).status_code == 404


def test_png_round_trips():
    from PIL import Image

    rng = np.random.default_rng(3)
    for image in (rng.integers(0, 256, (37, 53, 3), dtype=np.uint8), frame(7), np.zeros((1, 1, 3), np.uint8)):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(png(image)))), image)


def pic(head=(0.0, 0.0, 0.0), gaze=(0.0, 0.0), tangents=(-1.0, 1.0, 1.0, -1.0)) -> Picture:
    return Picture(
        seq=1,
        pixels=np.zeros((4, 4, 3), np.uint8),
        stamp=0.0,
        written=0.0,
        frame=0,
        head=head,
        gaze=gaze,
        gaze_off_deg=0.0,
        tangents=tangents,
        stereo=True,
    )


def test_the_target_is_placed_where_the_eye_sees_it():
    assert project(pic()) == {"head_uv": (0.5, 0.5), "target_uv": (0.5, 0.5), "target_dir": None}
    turned = project(pic(head=(-20.0, 0.0, 0.0)))  # head turned 20° right: the target is to the left
    assert turned["target_uv"] == pytest.approx((0.5 - math.tan(math.radians(20)) / 2, 0.5), abs=1e-4)
    assert turned["target_dir"] == pytest.approx((-1.0, 0.0), abs=1e-4)
    down = project(pic(gaze=(0.0, -28.0)))  # spiders: the floor in front, below the middle
    assert down["target_uv"][1] == pytest.approx(0.5 + math.tan(math.radians(28)) / 2, abs=1e-4)
    behind = project(pic(head=(150.0, 0.0, 0.0)))  # turned away: out of view, an arrow to the right
    assert behind["target_uv"] is None and behind["target_dir"][0] > 0.99


def test_the_projection_agrees_with_the_headsets_own_lens():
    """hmd-sim's left eye (an asymmetric lens) under a head with heading, pitch and roll:
    Panda3D's own projection of the gaze target gives the same point on the picture."""
    from panda3d.core import NodePath, Point2, Point3

    from engine.console.eyes import direction
    from engine.display.profile import QUEST3_LIKE
    from engine.display.projection import eye_lens

    fov = QUEST3_LIKE.left_fov
    lens = eye_lens(fov, 0.05, 100.0)
    for head, gaze in (((12.0, -8.0, 5.0), (0.0, -28.0)), ((-30.0, 10.0, -10.0), (-20.0, 5.0))):
        rig = NodePath("rig")
        node = rig.attachNewNode("head")
        node.setHpr(*head)
        target = Point3(*direction(*gaze) * 10.0)
        film = Point2()
        assert lens.project(node.getRelativePoint(rig, target), film)
        expected = ((film.x + 1) / 2, (1 - film.y) / 2)
        got = project(pic(head=head, gaze=gaze, tangents=fov.tangents()))["target_uv"]
        assert got == pytest.approx(expected, abs=2e-3), (head, gaze)


def test_the_snapshot_carries_the_runners_looking_away_verdict(loop):
    class FramesOut:  # the stage that owns the runner's Avoidance
        def __init__(self):
            self.avoidance = SimpleNamespace(away=False)

        def update(self, t):
            pass

    frames_out = FramesOut()
    avoidance = frames_out.avoidance
    stages = [lambda t: None, frames_out.update]
    runner = SimpleNamespace(
        **{
            **vars(loop.runner),
            "stages": stages,
            "frames_out": frames_out,
            "shown": SimpleNamespace(intensity=0.0, veil=0.0, calming=False, pose=(0.0, 0.0, 0.0, 35.0, -12.0, 0.0)),
        }
    )
    state = ConsoleState(rate_hz=1000.0)
    loop.call(lambda: state(runner))
    snap = state.latest
    assert snap["looking_away"] is False and snap["head"] == {"heading": 35.0, "pitch": -12.0}
    avoidance.away = True
    time.sleep(0.002)
    loop.call(lambda: state(runner))
    assert state.latest["looking_away"] is True
    plain = ConsoleState(rate_hz=1000.0)
    loop.call(lambda: plain(loop.runner))  # a runner without an Avoidance: unknown
    assert plain.latest["looking_away"] is None and plain.latest["head"] == {"heading": None, "pitch": None}
