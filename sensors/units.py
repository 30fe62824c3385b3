"""What a signal is (its kind) and the unit vrex keeps it in.

Devices name the same signal differently ("GSR", "EDA", "SkinConductance") and declare
units in many spellings ("uS", "µS", "microsiemens", "-6"). Everything is converted once,
on arrival, into one canonical unit per kind:

    ecg   mV        accepts V, mV, uV/µV/μV, nV (and word forms, and pylsl's power-of-ten
                    form such as "-6", meaning 1e-6 V)
    eda   uS        accepts S, mS, uS/µS/μS, nS, mho forms; resistance (Ohm, kOhm, MOhm) is
                    turned into conductance (G = 1/R)
    rr    ms        accepts s, ms
    ppg   as sent   any unit: pulse features use shape and timing, not amplitude
    resp  as sent   any unit: respiration rate uses timing only

An empty unit is not an error: the defaults below are assumed and the conversion is
flagged ``assumed`` so the caller can warn. A unit that cannot be converted is a
``StreamFormatError`` naming the stream, the channel, the unit and what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sensors.errors import StreamFormatError

# Canonical kind -> synonyms seen on LSL stream types, lower-case with ' ', '-' and '_'
# removed. The canonical name is always a synonym of itself.
KIND_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ecg": ("ecg", "ekg", "electrocardiogram", "electrocardiography"),
    "ppg": (
        "ppg",
        "bvp",
        "pleth",
        "ppgbvp",
        "plethysmogram",
        "photoplethysmogram",
        "photoplethysmography",
        "bloodvolumepulse",
    ),
    "eda": ("eda", "gsr", "scl", "skinconductance", "electrodermal", "electrodermalactivity", "galvanicskinresponse"),
    "resp": ("resp", "rsp", "respiration", "respiratory", "breathing"),
    "rr": ("rr", "rri", "ibi", "rrinterval", "rrintervals", "interbeatinterval", "nn"),
    "markers": ("markers", "marker", "events", "event"),
}
_KIND_OF = {syn: kind for kind, syns in KIND_SYNONYMS.items() for syn in syns}

CANONICAL_UNIT = {"ecg": "mV", "eda": "uS", "rr": "ms", "ppg": "", "resp": ""}

# Assumed when a stream declares no unit (documented defaults; the conversion says so):
# ECG in mV and EDA in µS are what most LSL device apps send; RR intervals in ms likewise.
DEFAULT_UNIT = {"ecg": "mV", "eda": "uS", "rr": "ms"}

NEEDS_RATE = frozenset({"ecg", "ppg", "eda", "resp"})  # regular signals
IRREGULAR = frozenset({"rr", "markers"})


def _squash(text: str) -> str:
    return re.sub(r"[\s\-_]", "", text).lower()


def canonical_kind(stream_type: str) -> str | None:
    """'GSR' -> 'eda', 'BVP' -> 'ppg', 'EKG' -> 'ecg'; None for a type vrex does not use."""
    return _KIND_OF.get(_squash(stream_type))


# --- unit tables -------------------------------------------------------------------------
# Symbols are matched case-sensitively (mS is not MS); word forms case-insensitively.
# Values: (factor to the canonical unit, reciprocal). Reciprocal: canonical = factor / x.

_EDA_SYMBOLS = {
    "S": 1e6,
    "mS": 1e3,
    "uS": 1.0,
    "nS": 1e-3,
    "mho": 1e6,
    "mmho": 1e3,
    "umho": 1.0,
}
_EDA_WORDS = {
    "siemens": 1e6,
    "millisiemens": 1e3,
    "microsiemens": 1.0,
    "microsiemen": 1.0,
    "nanosiemens": 1e-3,
    "micromho": 1.0,
    "micromhos": 1.0,
    "us": 1.0,  # 'us'/'US' for µS: in an EDA stream it cannot mean microseconds
}
# Resistance R -> conductance in µS: G[µS] = 1e6 / R[Ohm] = 1e3 / R[kOhm] = 1 / R[MOhm].
_EDA_RESISTANCE_SYMBOLS = {
    "ohm": 1e6,
    "Ohm": 1e6,
    "kohm": 1e3,
    "kOhm": 1e3,
    "KOhm": 1e3,
    "Kohm": 1e3,
    "MOhm": 1.0,
    "Mohm": 1.0,
}
_EDA_RESISTANCE_WORDS = {
    "ohms": 1e6,
    "kiloohm": 1e3,
    "kiloohms": 1e3,
    "kilohm": 1e3,
    "kilohms": 1e3,
    "megaohm": 1.0,
    "megaohms": 1.0,
    "megohm": 1.0,
    "megohms": 1.0,
}

_ECG_SYMBOLS = {"V": 1e3, "mV": 1.0, "uV": 1e-3, "nV": 1e-6}
_ECG_WORDS = {
    "volt": 1e3,
    "volts": 1e3,
    "millivolt": 1.0,
    "millivolts": 1.0,
    "microvolt": 1e-3,
    "microvolts": 1e-3,
    "nanovolt": 1e-6,
    "nanovolts": 1e-6,
}

_RR_SYMBOLS = {"s": 1e3, "ms": 1.0}
_RR_WORDS = {
    "sec": 1e3,
    "secs": 1e3,
    "second": 1e3,
    "seconds": 1e3,
    "msec": 1.0,
    "msecs": 1.0,
    "millisecond": 1.0,
    "milliseconds": 1.0,
}

# pylsl's StreamInfo.set_channel_units writes an integer power of ten of the base SI unit
# ("-6" = micro); base units: V for ECG, S for EDA, s for RR. Canonical exponent offset:
_POWER_OFFSET = {"ecg": 3, "eda": 6, "rr": 3}

_ACCEPTED = {
    "ecg": "V, mV, uV (µV, μV), nV, volts, millivolts, microvolts, or a power of ten of volts such as -3 or -6",
    "eda": "S, mS, uS (µS, μS), nS, siemens, microsiemens, mho forms, or resistance in "
    "Ohm, kOhm or MOhm (converted to conductance), or a power of ten of siemens "
    "such as -6",
    "rr": "s, ms, seconds, milliseconds, or a power of ten of seconds such as -3",
}


@dataclass(frozen=True)
class Conversion:
    """How to turn one channel's values into the canonical unit of its kind."""

    kind: str
    declared: str  # the unit as the stream declared it ('' if none)
    unit: str  # canonical unit after conversion ('' = as sent)
    factor: float = 1.0
    reciprocal: bool = False  # resistance -> conductance: out = factor / x
    assumed: bool = False  # the stream declared no unit; a default was assumed

    @property
    def identity(self) -> bool:
        return self.factor == 1.0 and not self.reciprocal

    def apply(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Vectorised conversion; ``out`` may be ``values`` itself (in place)."""
        if out is None:
            out = np.empty(np.shape(values), dtype=np.float64)
        if self.reciprocal:
            # R <= 0 has no conductance; NaN marks it instead of a silent inf. The mask is
            # taken first because ``out`` may be ``values``.
            invalid = ~(np.asarray(values) > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                np.divide(self.factor, values, out=out)
            out[invalid] = np.nan
        elif self.factor == 1.0:
            if out is not values:
                out[...] = values
        else:
            np.multiply(values, self.factor, out=out)
        return out


def _normalise_symbol(unit: str) -> str:
    # Both micro characters (U+00B5 MICRO SIGN, U+03BC GREEK MU) and both ohm characters
    # (U+03A9 OMEGA, U+2126 OHM SIGN) appear in device metadata.
    text = unit.strip().replace("\u00b5", "u").replace("\u03bc", "u")
    text = text.replace("\u2126", "Ohm").replace("\u03a9", "Ohm")
    return re.sub(r"\s+", "", text)


def conversion(kind: str, unit: str | None, *, stream: str = "?", channel: str = "") -> Conversion:
    """The conversion of ``unit`` (as a stream declares it) for a signal of ``kind``.

    Raises StreamFormatError, naming ``stream`` and ``channel``, for a unit it cannot convert.
    """
    canonical = canonical_kind(kind) or kind
    declared = (unit or "").strip()
    if canonical in ("ppg", "resp", "markers"):
        return Conversion(canonical, declared, declared)
    if canonical not in _POWER_OFFSET:
        raise ValueError(f"no unit rules for signal kind '{kind}'; known: ecg, eda, rr, ppg, resp")
    target = CANONICAL_UNIT[canonical]
    if not declared or declared.lower() in ("none", "n/a", "unknown"):
        # Default: the documented unit, flagged so the caller can warn.
        base = conversion(canonical, DEFAULT_UNIT[canonical], stream=stream, channel=channel)
        return Conversion(canonical, declared, target, base.factor, base.reciprocal, assumed=True)

    symbol = _normalise_symbol(declared)
    word = symbol.lower()
    tables = {
        "ecg": (_ECG_SYMBOLS, _ECG_WORDS, {}, {}),
        "eda": (_EDA_SYMBOLS, _EDA_WORDS, _EDA_RESISTANCE_SYMBOLS, _EDA_RESISTANCE_WORDS),
        "rr": (_RR_SYMBOLS, _RR_WORDS, {}, {}),
    }[canonical]
    symbols, words, r_symbols, r_words = tables
    if symbol in symbols:
        return Conversion(canonical, declared, target, symbols[symbol])
    if word in words:
        return Conversion(canonical, declared, target, words[word])
    if symbol in r_symbols:
        return Conversion(canonical, declared, target, r_symbols[symbol], reciprocal=True)
    if word in r_words:
        return Conversion(canonical, declared, target, r_words[word], reciprocal=True)
    if re.fullmatch(r"[+-]?\d{1,2}", symbol):
        return Conversion(canonical, declared, target, 10.0 ** (int(symbol) + _POWER_OFFSET[canonical]))

    where = f"channel '{channel}' of " if channel else ""
    raise StreamFormatError(
        f"{where}stream '{stream}' ({canonical.upper()}) declares unit '{declared}', which vrex "
        f"cannot convert to {target}. Accepted: {_ACCEPTED[canonical]}. Fix the unit in the "
        f"outlet's metadata (desc/channels/channel/unit), or leave it empty to assume "
        f"{DEFAULT_UNIT[canonical]}."
    )
