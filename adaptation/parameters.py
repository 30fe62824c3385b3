"""The simulated patient's parameters: name, kind, the range the model accepts, unit, meaning.

A population file (``adaptation/populations/*.yaml``) gives each of these a distribution;
``adaptation.population`` checks that every draw the distribution can make lies inside the
range below. The model itself is in ``adaptation.patient``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamSpec:
    kind: str  # 'float' or 'bool'
    low: float = 0.0  # inclusive range the model accepts (floats)
    high: float = 1.0
    unit: str = ""
    doc: str = ""


P = ParamSpec
PARAMETERS: dict[str, ParamSpec] = {
    # -- fear and its course (arousal is 0–1; SUDS ≈ 100 × arousal) --------------------
    "arousal_rest": P("float", 0.0, 0.6, "0–1", "arousal at rest in the calm state (trait and anticipatory anxiety)"),
    "fear_threshold": P(
        "float",
        0.0,
        1.0,
        "intensity",
        "intensity around which fear rises most steeply, before habituation "
        "(about half of full fear there when the threshold is well above fear_width)",
    ),
    "fear_width": P("float", 0.02, 0.4, "intensity", "how gradually fear grows around the threshold (logistic scale)"),
    "fear_max": P("float", 0.3, 1.0, "0–1", "arousal the full feared situation would evoke"),
    "rise_tau_s": P("float", 1.0, 60.0, "s", "time constant of arousal rising toward what the scene evokes"),
    "fall_tau_s": P("float", 5.0, 300.0, "s", "time constant of arousal falling (recovery is slower than onset)"),
    "habituation_rate": P("float", 0.0, 0.05, "intensity/s", "how fast tolerable exposure raises the fear threshold"),
    "habituation_band": P(
        "float", 0.4, 0.95, "0–1", "arousal above which exposure stops habituating and starts sensitising"
    ),
    "sensitisation_rate": P(
        "float", 0.0, 0.2, "intensity/s", "how fast arousal above the band lowers the fear threshold"
    ),
    "sensitisation_decay_s": P(
        "float", 10.0, 3600.0, "s", "time constant with which sensitisation fades below the band"
    ),
    "panic_level": P("float", 0.5, 1.0, "0–1", "arousal above which the person may escape"),
    "escape_hazard": P(
        "float", 0.0, 1.0, "1/s", "escape probability per second at full panic (scaled by the excess over panic_level)"
    ),
    "arousal_noise": P("float", 0.0, 0.2, "0–1", "moment-to-moment fluctuation of arousal (Ornstein–Uhlenbeck sd)"),
    "suds_bias": P(
        "float", -50.0, 50.0, "SUDS points", "how much higher (or lower) this person rates distress than their arousal"
    ),
    "suds_noise": P("float", 0.0, 30.0, "SUDS points", "scatter of a single SUDS answer"),
    # -- physiology ------------------------------------------------------------------
    "hr_rest": P("float", 35.0, 130.0, "bpm", "resting heart rate"),
    "hr_decelerator": P("bool", doc="heart slows under fear (fear bradycardia) instead of speeding up"),
    "hr_gain_accel": P("float", 0.0, 1.5, "fraction", "HR rise over rest at full arousal above rest, for accelerators"),
    "hr_gain_decel": P(
        "float", -0.5, 0.0, "fraction", "HR change over rest at full arousal above rest, for decelerators"
    ),
    "hr_tau_s": P("float", 0.5, 20.0, "s", "lag of heart rate behind arousal"),
    "rmssd_rest": P("float", 5.0, 200.0, "ms", "resting RMSSD"),
    "rmssd_drop": P(
        "float", 0.0, 3.0, "1/arousal", "RMSSD falls as exp(−drop × arousal above rest) (vagal withdrawal)"
    ),
    "eda_responder": P("bool", doc="shows skin-conductance responses (about 10 % do not)"),
    "eda_rest": P("float", 0.1, 40.0, "µS", "resting tonic skin conductance"),
    "eda_gain": P("float", 0.0, 5.0, "fraction", "tonic EDA rise over rest at full arousal above rest (responders)"),
    "eda_latency_s": P("float", 0.0, 5.0, "s", "delay before skin conductance follows arousal"),
    "eda_tau_s": P("float", 0.2, 20.0, "s", "rise time constant of skin conductance"),
    "scr_rest_per_min": P("float", 0.0, 10.0, "1/min", "spontaneous skin-conductance responses at rest"),
    "scr_gain_per_min": P("float", 0.0, 40.0, "1/min", "extra responses per minute at full arousal above rest"),
    "resp_rest": P("float", 4.0, 30.0, "breaths/min", "resting breathing rate"),
    "resp_gain": P("float", 0.0, 2.0, "fraction", "breathing-rate rise over rest at full arousal above rest"),
    "resp_tau_s": P("float", 0.5, 60.0, "s", "lag of breathing rate behind arousal"),
    # -- how the sensors behave on this person ------------------------------------------
    "artefacts_per_hour": P(
        "float", 0.0, 120.0, "1/h", "movement artefacts that make heart and breathing unreadable for a few seconds"
    ),
    "dropouts_per_hour": P(
        "float", 0.0, 60.0, "1/h", "sensor dropouts (stream stalls or an electrode lifts) lasting 5–60 s"
    ),
}
