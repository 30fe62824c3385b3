"""Where a swarm of walking creatures is, which way each faces, and how far its legs have stepped.

Pure numpy, in the swarm's own floor frame (metres, x right, y forward), advanced by ``dt``
(never wall-clock) and deterministic for a seed, so previews and tests see the same walk.

Each creature has a home in the start area (``distance`` m from the patient, toward the
swarm's origin) and walks a there-and-back cycle: ``reach`` m toward the patient, a pause,
back home, a pause. Intensity changes the numbers; the cycle is integrated, not computed from
time, so a faster crawl never makes anyone jump.

No creature passes through another or through the furniture: after each step the positions
are pushed apart and out of the obstacles, and any creature still worse off than before the
step goes back to where it was. A valid layout therefore stays valid for ever (the tests
check it over long runs), and an invalid one (a spider grew, or appeared) only improves.
"""

from __future__ import annotations

import math

import numpy as np

PAUSE_S = 1.5  # rest at each end of the crawl: a spider stops, then moves again
MIN_WALK = 0.15  # m/s: even with the crawl at 0 a spider walks to a moved home, never slides
TURN_RATE = 240.0  # deg/s: heading eases toward its goal no faster than this
STRIDE = 0.45  # one gait cycle per this many spans walked


def heading_to(d: np.ndarray) -> np.ndarray:
    """Panda3D headings (deg) that face the xy directions ``d`` (forward is (-sin h, cos h))."""
    return np.degrees(np.arctan2(-d[..., 0], d[..., 1]))


class Swarm:
    def __init__(
        self,
        n: int,
        seed: int,
        area: tuple[float, float],
        bounds: tuple[float, float],
        keep_away: float,
    ):
        rng = np.random.default_rng(seed)
        self.n = n
        self.area = np.array(area, float)
        self.half = np.array(bounds, float) / 2
        self.keep_away = keep_away
        self.size, self.speed, self.distance, self.reach = 0.08, 0.0, 2.0, 0.0
        self.active = n
        self.obstacles = np.zeros((0, 4))  # floor rectangles: xmin, ymin, xmax, ymax
        self.patient = np.array([0.0, -2.0])
        self.spread = _spread(rng, n)  # homes within the area, evenly spread (unit square)
        self.cycle = rng.uniform(0.0, 1.0, n)  # where each is in its there-and-back cycle
        self.pace = rng.uniform(0.8, 1.2, n)  # some spiders are quicker than others
        self.gait = rng.uniform(0.0, 1.0, n)  # leg cycles walked (fraction = phase)
        self.pos = np.zeros((n, 2))
        self.heading = np.zeros(n)
        self.placed = np.zeros(n, bool)

    # -- what the swarm is asked to do --------------------------------------------------

    @property
    def separation(self) -> float:
        """Closest two centres may come (m): their leg spans never overlap."""
        return self.size

    def homes(self) -> np.ndarray:
        away = -self.patient
        norm = float(np.hypot(*away))
        u = away / norm if norm > 1e-6 else np.array([0.0, 1.0])
        centre = self.patient + u * self.distance
        return centre + (self.spread - 0.5) * self.area

    def show(self, count: int) -> None:
        count = max(0, min(self.n, count))
        self.placed[count:] = False  # a spider shown again is placed anew, clear of the others
        self.active = count

    # -- one step ------------------------------------------------------------------------

    def step(self, dt: float) -> None:
        a = self.active
        homes = self.homes()[:a]
        if not self.placed[:a].all():  # placed where its crawl has got to: a still shows the swarm spread out
            start = self._targets(homes)
            for i in np.flatnonzero(~self.placed[:a]):
                self._place(i, start[i])
        if a == 0 or dt <= 0:
            return
        self._advance_cycle(dt)
        target = self._targets(homes)
        prev, prev_heading = self.pos[:a].copy(), self.heading[:a].copy()
        to_target = target - prev
        gap = np.hypot(to_target[:, 0], to_target[:, 1])
        vmax = np.maximum(self.speed * self.pace[:a], MIN_WALK) * 1.3 * dt
        move = to_target * np.minimum(1.0, vmax / np.maximum(gap, 1e-9))[:, None]
        self.pos[:a] = self._resolve(prev + move, prev)
        # face where it is walking; at rest (or nearly there) face the patient
        walking = gap > 0.25 * self.size
        goal = np.where(walking, heading_to(to_target), heading_to(self.patient - self.pos[:a]))
        turn = (goal - prev_heading + 180.0) % 360.0 - 180.0
        eased = np.where(
            np.abs(turn) < 0.5, turn, turn * (1.0 - math.exp(-6.0 * dt))
        )  # the last ½° at once: it settles
        self.heading[:a] = prev_heading + np.clip(eased, -TURN_RATE * dt, TURN_RATE * dt)
        # legs step with the distance walked (and turned on the spot): still when it is still
        walked = (
            np.hypot(*(self.pos[:a] - prev).T) + np.radians(np.abs(self.heading[:a] - prev_heading)) * 0.3 * self.size
        )
        self.gait[:a] = (self.gait[:a] + walked / (STRIDE * self.size)) % 1.0

    def _advance_cycle(self, dt: float) -> None:
        v = self.speed * self.pace[: self.active]
        if self.reach <= 0 or self.speed <= 0:
            return
        period = 2 * self.reach / v + 2 * PAUSE_S
        self.cycle[: self.active] = (self.cycle[: self.active] + dt / period) % 1.0

    def _targets(self, homes: np.ndarray) -> np.ndarray:
        """Where each spider is heading now: ``s`` m from home toward the patient."""
        a = self.active
        v = max(self.speed, 1e-9) * self.pace[:a]
        walk = self.reach / v
        period = 2 * walk + 2 * PAUSE_S
        t = self.cycle[:a] * period
        s = np.where(
            t < walk,
            t * v,
            np.where(t < walk + PAUSE_S, self.reach, np.maximum(0.0, self.reach - (t - walk - PAUSE_S) * v)),
        )
        s = np.where(t >= 2 * walk + PAUSE_S, 0.0, s)
        s = np.clip(s, 0.0, self.reach)
        d = self.patient - homes
        dist = np.hypot(d[:, 0], d[:, 1])
        s = np.minimum(s, np.maximum(0.0, dist - self.keep_away - self.size))
        return homes + d / np.maximum(dist, 1e-9)[:, None] * s[:, None]

    # -- keeping apart -------------------------------------------------------------------

    def violation(self, pos: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
        """How far (m) each of ``pos`` is inside another's space, an obstacle, the patient's
        space or outside the bounds; 0 when it is clear of all. The others are the rest of
        ``pos``, or ``others`` when given (candidate spots, each judged alone)."""
        r = self.size / 2
        out = np.zeros(len(pos))
        if others is not None and len(others):
            d = np.hypot(*(pos[:, None, :] - others[None, :, :]).transpose(2, 0, 1))
            out = np.maximum(out, self.separation - d.min(axis=1))
        elif others is None and len(pos) > 1:
            d = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
            np.fill_diagonal(d, np.inf)
            out = np.maximum(out, self.separation - d.min(axis=1))
        for x0, y0, x1, y1 in self.obstacles:
            depth = np.minimum.reduce(
                [pos[:, 0] - (x0 - r), (x1 + r) - pos[:, 0], pos[:, 1] - (y0 - r), (y1 + r) - pos[:, 1]]
            )
            out = np.maximum(out, depth)
        out = np.maximum(out, self.keep_away - np.hypot(*(pos - self.patient).T))
        out = np.maximum(out, (np.abs(pos) - (self.half - r)).max(axis=1))
        return np.maximum(out, 0.0)

    def _resolve(self, pos: np.ndarray, prev: np.ndarray) -> np.ndarray:
        r = self.size / 2
        for _ in range(4):
            if not self.violation(pos).any():  # the usual case: nobody in anyone's way
                return pos
            if len(pos) > 1:  # push overlapping pairs apart, half each
                d = pos[:, None, :] - pos[None, :, :]
                dist = np.hypot(d[..., 0], d[..., 1])
                np.fill_diagonal(dist, np.inf)
                over = np.maximum(0.0, self.separation * 1.001 - dist)
                push = d / np.maximum(dist, 1e-9)[..., None] * (over / 2)[..., None]
                pos = pos + push.sum(axis=1)
            for x0, y0, x1, y1 in self.obstacles:  # out of each obstacle by its nearest side
                lo, hi = np.array([x0 - r, y0 - r]), np.array([x1 + r, y1 + r])
                inside = np.all((pos > lo) & (pos < hi), axis=1)
                if inside.any():
                    exits = np.stack([lo[0] - pos[:, 0], hi[0] - pos[:, 0], lo[1] - pos[:, 1], hi[1] - pos[:, 1]], 1)
                    side = np.abs(exits).argmin(axis=1)
                    shift = exits[np.arange(len(pos)), side] * 1.001
                    pos[inside & (side < 2), 0] += shift[inside & (side < 2)]
                    pos[inside & (side >= 2), 1] += shift[inside & (side >= 2)]
            rel = pos - self.patient
            dist = np.hypot(rel[:, 0], rel[:, 1])
            near = dist < self.keep_away
            pos[near] = self.patient + rel[near] / np.maximum(dist[near], 1e-9)[:, None] * self.keep_away * 1.001
            pos = np.clip(pos, -(self.half - r), self.half - r)
        # Spiders the pushes left worse off than before go back to where they were. From a
        # valid layout a pair that overlaps flags both of its spiders, so each round puts back
        # at least one spider that moved: this ends, in the worst case with everyone back.
        before = self.violation(prev)
        for _ in range(len(pos) + 1):
            worse = self.violation(pos) - before > 1e-9
            if not worse.any():
                return pos
            pos[worse] = prev[worse]
        return prev.copy()

    def _place(self, i: int, home: np.ndarray) -> None:
        """Put spider ``i`` at the nearest clear spot to ``home`` (a ring search)."""
        others = self.pos[: self.active][self.placed[: self.active]]
        best, best_v = home, math.inf
        for ring in range(40):  # out to 20 spans from home, each ring judged at once
            k = max(1, 8 * ring)
            angles = np.arange(k) * 2 * math.pi / k + ring
            cand = home + ring * 0.5 * self.separation * np.stack([np.cos(angles), np.sin(angles)], 1)
            v = self.violation(cand, others)
            j = int(v.argmin())
            if v[j] < best_v:
                best, best_v = cand[j], float(v[j])
            if best_v <= 0:
                break
        self.pos[i] = best
        self.heading[i] = float(heading_to(self.patient - best))
        self.placed[i] = True


def _spread(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` points in the unit square, each the best of 24 candidates (farthest from the rest)."""
    points = np.zeros((n, 2))
    for i in range(n):
        cand = rng.uniform(0.0, 1.0, (24, 2))
        if i:
            gaps = np.hypot(*(cand[:, None, :] - points[None, :i, :]).transpose(2, 0, 1)).min(axis=1)
            cand = cand[[int(gaps.argmax())]]
        points[i] = cand[0]
    return points
