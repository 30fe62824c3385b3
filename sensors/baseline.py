"""A person's resting values, and features relative to them.

During the session's baseline phase, ``add`` each tick's ``Features``; afterwards
``relative`` reports heart rate and tonic EDA as a fraction above baseline ((x − b) / b;
0.2 is "20 % over baseline", the "elevated" mark of clinical.md) and every other feature as
a difference (x − b). The baseline value is the median of the trustworthy (non-NaN) values
seen, so a few artefacts during rest do not shift it; a feature with fewer than
``min_values`` of them has no baseline and its relative value is NaN.
"""

from __future__ import annotations

import math

import numpy as np

from .types import Features

RATIO = frozenset({"hr_bpm", "eda_tonic_us"})


class Baseline:
    def __init__(self, min_values: int = 30):
        self.min_values = min_values
        self._seen: dict[str, list[float]] = {n: [] for n in Features.NAMES}

    def add(self, features: Features) -> None:
        for n in Features.NAMES:
            v = getattr(features, n)
            if v is not None and math.isfinite(v):
                self._seen[n].append(float(v))

    def count(self, name: str) -> int:
        return len(self._seen[name])

    def values(self) -> dict[str, float]:
        """Median resting value per feature; NaN where too few were trustworthy."""
        return {n: float(np.median(v)) if len(v) >= self.min_values else math.nan for n, v in self._seen.items()}

    @property
    def ready(self) -> bool:
        """Whether heart rate, the feature every controller reads, has a baseline."""
        return self.count("hr_bpm") >= self.min_values

    def relative(self, features: Features) -> dict[str, float]:
        out = {}
        for n, b in self.values().items():
            v = getattr(features, n)
            if n in RATIO:
                out[n] = (v - b) / b if b > 0 else math.nan
            else:
                out[n] = v - b
        return out
