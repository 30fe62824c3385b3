"""Predictive distress: will arousal cross this person's panic level within the next 30 s?

The simulator's panic level (``adaptation.patient``: ``panic_level``, per person, drawn
around 0.85 on the arousal scale where the therapeutic band is 0.35–0.70,
``SessionConfig.band``) is where escape becomes possible. The forecaster reads one
``Observation`` — what a live session has at each control tick — and returns the
probability that arousal goes from at or below that level now to above it within
``HORIZON_S`` seconds, with the features that pushed it up, in words.

It is a logistic regression on standardised inputs (``inputs``), fitted offline on simulated
people (``python -m adaptation.forecast_fit fit``: ``adaptation.forecast_fit``) and shipped as
``policies/forecast.json``; at session time it is plain Python arithmetic (no numpy in the
hot path, no torch, no sklearn). The inputs are the observation's own: relative HR, EDA,
breathing and RMSSD, the beat-to-beat HR's lead over the 10-s HR (the only slope one
observation carries: the 6-beat HR runs ahead of the 10-s window when HR climbs), SUDS and
its age, the SUDS given at rest (how this person rates calm), the level, how long ago it
changed and whether the scene is still easing up.

Stale or implausible physiology is never acted on as if real (rule 5 of the house): with a
heart signal ``heart_distrust`` rejects, or no HR baseline, there is no forecast at all
(``None``); an EDA or breathing signal that is stale or unusable reads as unknown (0 with its
flag 0), as in the policy's input.

``ForecastAlert`` adds hysteresis for the therapist's alert: on at ``forecast_alert_on``,
off below ``forecast_alert_off`` (``ShieldConfig``), so it does not flap.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from adaptation.safety_rules import ShieldConfig, _fresh_and_usable, heart_distrust, hr_fast_distrust
from adaptation.types import Observation
from vrexbase.real import finite

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).parent / "policies" / "forecast.json"
HORIZON_S = 30.0
NAMES = (
    "hr_rel",
    "hr_fast_lead",
    "eda_rel",
    "eda_known",
    "rmssd_drop",
    "resp_rel",
    "resp_known",
    "scr_rel",
    "suds",
    "has_suds",
    "suds_recent",
    "peak_suds_at_level",
    "intensity",
    "level",
    "level_fresh",
    "rising",
    "hr_x_intensity",
    "eda_x_intensity",
    "baseline_suds",
    "suds_over_baseline",
)


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def inputs(obs: Observation, config: ShieldConfig = ShieldConfig()) -> list[float] | None:
    """The forecaster's inputs (``NAMES``) from one observation, or None when the heart
    signal or its baseline cannot be trusted (then there is no forecast)."""
    f = obs.features
    if heart_distrust(f, config):
        return None
    rel = f.relative if isinstance(f.relative, dict) else {}
    hr = finite(rel.get("hr_bpm"))
    if not -1.0 <= hr < math.inf:
        return None  # no HR baseline: nothing to compare with
    fast = finite(rel.get("hr_fast_bpm"))
    lead = _clip(fast - hr, -0.5, 0.5) if fast == fast and not hr_fast_distrust(f, config) else 0.0
    eda_ok, resp_ok = _fresh_and_usable(f, "eda", config), _fresh_and_usable(f, "resp", config)
    eda = finite(rel.get("eda_tonic_us")) if eda_ok else math.nan
    resp = finite(rel.get("resp_rate_bpm")) if resp_ok else math.nan
    scr = finite(rel.get("scr_per_min")) if eda_ok else math.nan
    rmssd_d, rmssd = finite(rel.get("rmssd_ms")), finite(f.rmssd_ms)
    base = rmssd - rmssd_d
    drop = _clip(-rmssd_d / base, -1.0, 1.0) if base > 0 else 0.0
    suds, age = finite(obs.suds), finite(obs.suds_age, math.inf)
    has = suds == suds and age >= 0
    top = max(len(obs.levels) - 1, 1)
    intensity = _clip(finite(obs.intensity, 0.0), 0.0, 1.0)
    tal = finite(obs.time_at_level, math.inf)
    peak = finite(obs.peak_suds_at_level)
    base_suds = finite(getattr(obs, "baseline_suds", math.nan))
    hr_c = _clip(hr, -1.0, 2.0)
    eda_c = _clip(eda, -1.0, 3.0) if eda == eda else 0.0
    return [
        hr_c,
        lead,
        eda_c,
        1.0 if eda == eda else 0.0,
        drop,
        _clip(resp / 10.0, -2.0, 2.0) if resp == resp else 0.0,
        1.0 if resp == resp else 0.0,
        _clip(scr / 10.0, -2.0, 2.0) if scr == scr else 0.0,
        _clip(suds, 0.0, 100.0) / 100.0 if has else 0.0,
        1.0 if has else 0.0,
        _clip(suds, 0.0, 100.0) / 100.0 * math.exp(-min(age, 600.0) / 60.0) if has else 0.0,
        _clip(peak, 0.0, 100.0) / 100.0 if peak == peak else 0.0,
        intensity,
        obs.level / top,
        math.exp(-_clip(tal, 0.0, 600.0) / 30.0),
        _clip(finite(obs.target, intensity) - intensity, -1.0, 1.0),
        hr_c * intensity,
        eda_c * intensity,
        _clip(base_suds, 0.0, 100.0) / 100.0 if base_suds == base_suds else 0.0,  # how this person rates calm
        (_clip(suds, 0.0, 100.0) - _clip(base_suds, 0.0, 100.0)) / 100.0 if has and base_suds == base_suds else 0.0,
    ]


@dataclass(frozen=True)
class ForecastModel:
    """Standardised logistic regression: p = σ(bias + Σ w·(x − mean)/scale)."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    meta: dict

    @classmethod
    def load(cls, path: str | Path = SHIPPED) -> ForecastModel:
        try:
            doc = json.loads(Path(path).read_text())
            model = cls(
                tuple(doc["names"]),
                tuple(map(float, doc["mean"])),
                tuple(map(float, doc["scale"])),
                tuple(map(float, doc["weights"])),
                float(doc["bias"]),
                dict(doc.get("meta", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(
                f"{path}: not forecaster weights ({type(e).__name__}: {e}); refit with "
                "python -m adaptation.forecast_fit fit"
            ) from None
        if not len(model.names) == len(model.mean) == len(model.scale) == len(model.weights):
            raise ValueError(f"{path}: names, mean, scale and weights differ in length; refit it")
        if model.names != NAMES:
            raise ValueError(f"{path}: inputs {model.names} are not this forecaster's {NAMES}; refit it")
        return model

    def save(self, path: str | Path) -> None:
        doc = {
            "names": list(self.names),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
            "meta": self.meta,
        }
        Path(path).write_text(json.dumps(doc, indent=1) + "\n")

    def contributions(self, x: list[float]) -> list[float]:
        return [w * (v - m) / s for v, m, s, w in zip(x, self.mean, self.scale, self.weights)]

    def probability(self, x: list[float]) -> float:
        z = self.bias + sum(self.contributions(x))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@lru_cache(maxsize=4)
def shipped(path: str = str(SHIPPED)) -> ForecastModel:
    """The shipped model, read once per process."""
    return ForecastModel.load(path)


@dataclass(frozen=True)
class Forecast:
    probability: float
    reason: str  # the inputs that pushed the probability up most, as a therapist reads them


def forecast(obs: Observation, config: ShieldConfig = ShieldConfig(), model: ForecastModel | None = None):
    """The forecast for this observation, or None when its inputs cannot be trusted."""
    x = inputs(obs, config)
    if x is None:
        return None
    m = model if model is not None else shipped()
    p = m.probability(x)
    return Forecast(p, explain(obs, m, x))


def explain(obs: Observation, model: ForecastModel, x: list[float]) -> str:
    """The (up to) three inputs that raise the probability most, in words."""
    parts: dict[str, str] = {}
    for name, c in sorted(zip(model.names, model.contributions(x)), key=lambda nc: -nc[1]):
        if c <= 0 or len(parts) == 3:
            break
        words = _words(name, obs, x)
        if words and words not in parts.values():
            parts[name] = words
    return ", ".join(parts.values()) or "no single sign"


def _words(name: str, obs: Observation, x: list[float]) -> str:
    v = dict(zip(NAMES, x))
    if name in ("hr_rel", "hr_x_intensity"):
        return f"HR {v['hr_rel'] * 100:+.0f} %"
    if name == "hr_fast_lead":
        return f"HR rising (last beats {v['hr_fast_lead'] * 100:+.0f} % over the 10-s HR)"
    if name in ("eda_rel", "eda_x_intensity") and v["eda_known"]:
        return f"EDA {v['eda_rel'] * 100:+.0f} %"
    if name == "rmssd_drop":
        return f"RMSSD {-v['rmssd_drop'] * 100:+.0f} %"
    if name == "resp_rel" and v["resp_known"]:
        return f"breathing {v['resp_rel'] * 10:+.1f}/min"
    if name in ("suds", "suds_recent", "peak_suds_at_level", "suds_over_baseline") and v["has_suds"]:
        return f"SUDS {obs.suds:.0f} ({_ago(obs.suds_age)})"
    if name in ("level", "intensity", "level_fresh"):
        return f"level {obs.level} for {_ago(obs.time_at_level, ago=False)}"
    if name == "rising":
        return f"scene still rising to {obs.target:.2f}"
    return ""


def _ago(s: float, ago: bool = True) -> str:
    text = f"{s:.0f} s" if s < 90 else f"{s / 60:.0f} min"
    return f"{text} ago" if ago else text


class ForecastAlert:
    """The therapist's alert with hysteresis: ``update`` returns "on", "off" or "" (no change)."""

    def __init__(self, config: ShieldConfig = ShieldConfig()):
        self.config = config
        self.active = False
        self.last: Forecast | None = None

    def update(self, f: Forecast | None) -> str:
        self.last = f
        on, off = self.config.forecast_alert_on, self.config.forecast_alert_off
        if on <= 0:
            change = "off" if self.active else ""
        elif f is None:  # untrustworthy inputs: no forecast, and an alert standing on one ends
            change = "off" if self.active else ""
        elif not self.active and f.probability >= on:
            change = "on"
        elif self.active and f.probability < off:
            change = "off"
        else:
            change = ""
        if change:
            self.active = change == "on"
        return change
