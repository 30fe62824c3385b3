"""scipy's filters for one 1-D float64 signal, without their per-call overhead, bit for bit.

A control tick filters a few 30 s windows and a 60 Hz poll pushes a few samples into each
beat detector; there scipy's argument handling (validation, axis moves, copies, and for
``sosfiltfilt`` designing the initial state anew) costs 10–30 times the filtering itself.
These functions do the same arithmetic on the same numbers, in the same order, as

* ``sosfilt(sos, x, zi)``      = ``scipy.signal.sosfilt(sos, x, zi=zi)``
* ``fir(b, x, zi)``            = ``scipy.signal.lfilter(b, 1.0, x, zi=zi)`` (its FIR path)
* ``iir(b, a, x, zi)``         = ``scipy.signal.lfilter(b, a, x, zi=zi)``
* ``sosfiltfilt(sos, x, padlen)`` = ``scipy.signal.sosfiltfilt(sos, x, padlen=padlen)``
* ``detrend_rows(rows)``       = ``scipy.signal.detrend(rows, axis=1)`` (finite rows)

so outputs are identical (``tests/sensors/test_filters.py`` holds them to it). They call
the C loops that scipy's public functions call, which are private; if a scipy release
moves them, the public functions are used instead (slower, same results).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
from scipy import linalg, signal

log = logging.getLogger(__name__)

try:  # the C loops behind sosfilt and lfilter (private: see the module docstring)
    from scipy.signal._sigtools import _linear_filter
    from scipy.signal._sosfilt import _sosfilt
except ImportError:  # pragma: no cover - depends on the scipy release
    _sosfilt = _linear_filter = None
    log.info(
        "scipy's private filter loops are not where expected; using the public "
        "sosfilt/lfilter (same results, more overhead per call)"
    )

_ZI: dict[bytes, np.ndarray] = {}  # sosfilt_zi per design: it solves a linear system


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filter ``x`` (1-D) from state ``zi`` (n_sections, 2); returns (y, final state)."""
    if _sosfilt is None:
        return signal.sosfilt(sos, x, zi=zi)
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    y = np.array(x, dtype=np.float64).reshape(1, -1)  # a copy: filtered in place
    z = np.array(zi, dtype=np.float64).reshape(1, -1, 2)
    _sosfilt(sos, y, z)
    return y[0], z[0]


def fir(b: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FIR filter ``b`` over ``x`` (non-empty) from state ``zi`` (len(b) - 1,)."""
    full = np.convolve(b, x)
    full[: zi.size] += zi
    return full[: x.size], full[x.size :]


def iir(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IIR filter ``b``/``a`` over ``x`` from state ``zi`` (max(len(a), len(b)) - 1,)."""
    if _linear_filter is None:
        return signal.lfilter(b, a, x, zi=zi)
    return _linear_filter(b, a, x, -1, zi)


def sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfilt_zi``, remembered per design (do not modify the result)."""
    key = sos.tobytes() + bytes(str(sos.shape), "ascii")
    zi = _ZI.get(key)
    if zi is None:
        if len(_ZI) > 256:  # designs are few; this only bounds a misuse
            _ZI.clear()
        zi = _ZI[key] = signal.sosfilt_zi(sos)
    return zi


def sosfiltfilt(sos: np.ndarray, x: np.ndarray, padlen: int | None = None) -> np.ndarray:
    """Zero-phase filtering with odd extension by ``padlen`` samples (scipy's default:
    3 × the filter's taps)."""
    if _sosfilt is None:
        return signal.sosfiltfilt(sos, x, padlen=padlen)
    x = np.asarray(x, dtype=np.float64)
    n_sections = sos.shape[0]
    ntaps = 2 * n_sections + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge = ntaps * 3 if padlen is None else int(padlen)
    if x.size <= edge:
        raise ValueError(f"sosfiltfilt needs more than padlen={edge} samples; got {x.size}")
    if edge > 0:
        ext = np.concatenate((2 * x[:1] - x[edge:0:-1], x, 2 * x[-1:] - x[-2 : -(edge + 2) : -1]))
    else:
        ext = x
    zi = sosfilt_zi(sos)
    y, _ = sosfilt(sos, ext, zi * ext[:1])
    y, _ = sosfilt(sos, y[::-1], zi * y[-1:])
    y = y[::-1]
    return y[edge:-edge] if edge > 0 else y


@lru_cache(maxsize=64)
def _ramp_design(n: int) -> np.ndarray:
    a = np.ones((n, 2), "d")
    a[:, 0] = np.arange(1, n + 1, dtype="d") / n
    a.flags.writeable = False  # shared between calls
    return a


def detrend_rows(rows: np.ndarray) -> np.ndarray:
    """Each row less its least-squares line: the same problem, laid out the same way, handed
    to the same LAPACK driver as ``detrend`` does, less its generic reshaping and its
    finiteness checks (which cost as much as the fit: the caller must pass finite rows)."""
    a = _ramp_design(rows.shape[1])
    data = rows.T.copy()  # as detrend lays it out: (samples, rows)
    coef = linalg.lstsq(a, data, check_finite=False)[0]
    return (data - a @ coef).T
