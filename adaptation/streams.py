"""One random stream per simulated person, consumed by vectorised code.

Results must not depend on how people are split into batches (``vrex evaluate --ray`` shards
them across workers): person ``i`` of seed ``s`` draws everything — their parameters, arousal
noise, escapes, SUDS answers, sensor noise, artefacts and dropouts, therapist holds — from
``SeedSequence(s, spawn_key=(i,))`` (what ``SeedSequence(s).spawn(n)[i]`` gives), so people
3–7 run alone reproduce exactly what the full batch gives them.

One numpy ``Generator`` per person, called per person at every step, would cost a Python
call per person per draw. Instead each person's generator fills a block of uniforms and a
block of standard normals; the vectorised code takes column ``cursor[i]`` of row ``i`` for
all the people it draws for, and a row is refilled from that person's generator when it runs
out. A person's sequence therefore depends only on the draws made for them (their own
events), never on who else is in the batch. The methods mirror ``numpy.random.Generator``'s
(``random``, ``standard_normal``, ``normal``, ``uniform``, ``poisson``) with ``size`` = the
batch (one per person) or ``(n, k)`` (k per person), or ``rows=`` for some people only.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import stats

BLOCK = 128  # draws per refill: a refill is one Python call per person, so rarely


class PersonStreams:
    """``n`` people's random streams (see the module docstring)."""

    def __init__(self, seeds: Iterable[np.random.SeedSequence], block: int = BLOCK):
        self._seeds = list(seeds)
        self._gens = [np.random.Generator(np.random.PCG64(s)) for s in self._seeds]
        self.n = len(self._gens)
        self.block = block
        # uniforms and normals, each with its own cursor; block (full) means "refill first"
        self._buf = {
            "u": np.empty((self.n, block)),
            "z": np.empty((self.n, block)),
        }
        self._cur = {"u": np.full(self.n, block, np.int64), "z": np.full(self.n, block, np.int64)}
        self._all = np.arange(self.n)

    @classmethod
    def for_people(cls, seed: int, people: Iterable[int], block: int = BLOCK) -> PersonStreams:
        """Streams of the people numbered ``people`` (global numbers, not batch rows) under ``seed``."""
        return cls((np.random.SeedSequence(seed, spawn_key=(int(i),)) for i in people), block)

    @classmethod
    def spawned(cls, rng: np.random.Generator, n: int, block: int = BLOCK) -> PersonStreams:
        """``n`` streams seeded from ``rng`` (training and single sessions, where only
        reproducibility from one seed matters): draws one integer from ``rng``."""
        entropy = int(rng.integers(0, 2**63))
        return cls.for_people(entropy, range(n), block)

    def spawn(self, k: int) -> list[PersonStreams]:
        """``k`` independent sets of streams, each person's child spawned from their own seed
        (as ``Generator.spawn``: this object's draws are left as they were)."""
        children = [s.spawn(k) for s in self._seeds]
        return [PersonStreams((c[j] for c in children), self.block) for j in range(k)]

    # -- the core: k draws for each of some rows ----------------------------------------

    def _rows_k(self, size, rows) -> tuple[np.ndarray, int, tuple[int, ...]]:
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64).reshape(-1)
            k = 1 if size is None or np.ndim(size) == 0 else int(size[-1])
            shape = (len(rows),) if k == 1 and (size is None or np.ndim(size) == 0) else (len(rows), k)
            return rows, k, shape
        if size is None or size == self.n or size == (self.n,):
            return self._all, 1, (self.n,)
        if isinstance(size, tuple) and len(size) == 2 and size[0] == self.n:
            return self._all, int(size[1]), (self.n, int(size[1]))
        raise ValueError(
            f"PersonStreams draws one value per person (size {self.n}) or (size ({self.n}, k)); "
            f"got size {size!r}: give rows= for some people"
        )

    def _take(self, kind: str, size, rows) -> np.ndarray:
        given = rows is not None
        rows, k, shape = self._rows_k(size, rows)
        if len(rows) == 0:
            return np.empty(shape)
        if k > self.block:
            raise ValueError(f"{k} draws per person at once; at most {self.block}")
        buf, cur = self._buf[kind], self._cur[kind]
        if given and len(rows) > 1 and len(np.unique(rows)) < len(rows):  # rows given may repeat
            return self._take_repeated(kind, rows, k).reshape(shape)
        start = cur[rows]
        short = start + k > self.block
        if short.any():
            for r in rows[short].tolist():
                g = self._gens[r]
                buf[r] = g.random(self.block) if kind == "u" else g.standard_normal(self.block)
            cur[rows[short]] = 0
            start = cur[rows]
        if k == 1:
            out = buf[rows, start]
        else:
            out = buf[rows[:, None], start[:, None] + np.arange(k)]
        cur[rows] = start + k
        return out.reshape(shape)

    def _take_repeated(self, kind: str, rows: np.ndarray, k: int) -> np.ndarray:
        """A person listed m times gets m successive draws (rare: the same person asked again
        and again, as a test does); one person at a time, in order of appearance."""
        buf, cur = self._buf[kind], self._cur[kind]
        out = np.empty((len(rows), k))
        for r in np.unique(rows).tolist():
            where = np.flatnonzero(rows == r)
            need, got = len(where) * k, []
            while need > 0:
                if cur[r] >= self.block:
                    g = self._gens[r]
                    buf[r] = g.random(self.block) if kind == "u" else g.standard_normal(self.block)
                    cur[r] = 0
                m = min(need, self.block - cur[r])
                got.append(buf[r, cur[r] : cur[r] + m].copy())  # the row is refilled in place
                cur[r] += m
                need -= m
            out[where] = np.concatenate(got).reshape(len(where), k)
        return out

    # -- numpy.random.Generator's names ---------------------------------------------------

    def random(self, size=None, *, rows=None) -> np.ndarray:
        return self._take("u", size, rows)

    def standard_normal(self, size=None, *, rows=None) -> np.ndarray:
        return self._take("z", size, rows)

    def normal(self, loc=0.0, scale=1.0, size=None, *, rows=None) -> np.ndarray:
        return loc + scale * self._take("z", size, rows)

    def uniform(self, low=0.0, high=1.0, size=None, *, rows=None) -> np.ndarray:
        return low + (high - low) * self._take("u", size, rows)

    def poisson(self, lam, size=None, *, rows=None) -> np.ndarray:
        """By inversion of one uniform each (exact; ``lam`` broadcast per person): the
        cumulative probabilities are summed term by term for everyone at once, which for the
        rates here (SCRs a minute, tens at most) is far cheaper than scipy's ``ppf``."""
        u = self._take("u", size, rows)
        lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), u.shape)
        if lam.size and float(lam.max()) > 200:  # never in the model; exact but slow there
            return np.where(lam > 0, np.maximum(stats.poisson.ppf(u, lam), 0.0), 0.0)
        term = np.exp(-lam)  # P(X = 0)
        cdf = term.copy()
        out = np.zeros(u.shape)
        k = 0
        while True:
            beyond = u >= cdf
            if not beyond.any() or k > 400:
                return out
            out += beyond
            k += 1
            term = term * lam / k
            cdf = cdf + term
