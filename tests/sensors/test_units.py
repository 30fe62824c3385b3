import numpy as np
import pytest

from sensors.errors import StreamFormatError
from sensors.units import canonical_kind, conversion


@pytest.mark.parametrize(
    "stream_type, kind",
    [
        ("ECG", "ecg"),
        ("ekg", "ecg"),
        ("PPG", "ppg"),
        ("BVP", "ppg"),
        ("Pleth", "ppg"),
        ("EDA", "eda"),
        ("GSR", "eda"),
        ("Skin Conductance", "eda"),
        ("RESP", "resp"),
        ("Respiration", "resp"),
        ("RR", "rr"),
        ("IBI", "rr"),
        ("rr-interval", "rr"),
        ("Markers", "markers"),
        ("EEG", None),
        ("", None),
    ],
)
def test_kind_synonyms(stream_type, kind):
    assert canonical_kind(stream_type) == kind


@pytest.mark.parametrize(
    "unit, factor",
    [
        ("uS", 1.0),
        ("\u00b5S", 1.0),
        ("\u03bcS", 1.0),
        ("microsiemens", 1.0),
        ("MicroSiemens", 1.0),
        ("S", 1e6),
        ("mS", 1e3),
        ("nS", 1e-3),
        ("-6", 1.0),
        ("umho", 1.0),
        (" uS ", 1.0),
    ],
)
def test_eda_conductance_to_microsiemens(unit, factor):
    c = conversion("EDA", unit, stream="E4")
    assert (c.unit, c.factor, c.reciprocal, c.assumed) == ("uS", pytest.approx(factor), False, False)
    assert c.apply(np.array([2.0]))[0] == pytest.approx(2.0 * factor)


@pytest.mark.parametrize(
    "unit, ohms_per_unit",
    [
        ("Ohm", 1.0),
        ("ohm", 1.0),
        ("\u03a9", 1.0),
        ("\u2126", 1.0),
        ("kOhm", 1e3),
        ("k\u03a9", 1e3),
        ("kiloohms", 1e3),
        ("MOhm", 1e6),
        ("M\u03a9", 1e6),
    ],
)
def test_eda_resistance_becomes_conductance(unit, ohms_per_unit):
    c = conversion("GSR", unit, stream="Shimmer")
    resistance_ohm = np.array([100e3, 1e6, 0.0, -5.0])  # 100 kOhm = 10 uS, 1 MOhm = 1 uS
    out = c.apply(resistance_ohm / ohms_per_unit)
    np.testing.assert_allclose(out[:2], [10.0, 1.0])
    assert np.isnan(out[2:]).all()  # no conductance for R <= 0


@pytest.mark.parametrize(
    "unit, factor",
    [
        ("V", 1e3),
        ("volts", 1e3),
        ("mV", 1.0),
        ("millivolts", 1.0),
        ("uV", 1e-3),
        ("\u00b5V", 1e-3),
        ("\u03bcV", 1e-3),
        ("microvolts", 1e-3),
        ("-6", 1e-3),
        ("-3", 1.0),
        ("0", 1e3),
    ],
)
def test_ecg_to_millivolts(unit, factor):
    c = conversion("ECG", unit)
    assert c.unit == "mV" and c.factor == pytest.approx(factor)


@pytest.mark.parametrize("unit, factor", [("s", 1e3), ("seconds", 1e3), ("ms", 1.0), ("milliseconds", 1.0)])
def test_rr_to_milliseconds(unit, factor):
    c = conversion("RR", unit)
    assert c.unit == "ms" and c.factor == pytest.approx(factor)


@pytest.mark.parametrize("kind", ["PPG", "BVP", "RESP"])
@pytest.mark.parametrize("unit", ["", "a.u.", "nW", "whatever"])
def test_ppg_and_resp_accept_any_unit(kind, unit):
    c = conversion(kind, unit)
    assert c.identity and c.unit == unit


@pytest.mark.parametrize("kind, unit", [("ECG", "mV"), ("EDA", "uS"), ("RR", "ms")])
def test_empty_unit_assumes_documented_default(kind, unit):
    for declared in ("", None, "none"):
        c = conversion(kind, declared)
        assert c.assumed and c.unit == unit and c.identity


@pytest.mark.parametrize(
    "kind, unit",
    [
        ("EDA", "furlongs"),
        ("EDA", "mohm"),
        ("EDA", "mV"),
        ("ECG", "uS"),
        ("ECG", "mmHg"),
        ("RR", "1/1024 s"),
        ("RR", "bpm"),
    ],
)
def test_unconvertible_unit_names_stream_unit_and_accepted(kind, unit):
    with pytest.raises(StreamFormatError) as err:
        conversion(kind, unit, stream="Polar H10 ABC", channel="lead I")
    message = str(err.value)
    for part in ("Polar H10 ABC", "lead I", f"'{unit}'", "Accepted:"):
        assert part in message


def test_apply_in_place_on_a_strided_column():
    values = np.array([[1.0, 100.0], [2.0, 200.0]])
    conversion("ECG", "uV").apply(values[:, 1], out=values[:, 1])
    conversion("EDA", "kOhm").apply(values[:, 0], out=values[:, 0])
    np.testing.assert_allclose(values, [[1000.0, 0.1], [500.0, 0.2]])
