"""Regenerate the sounds of people and of a lift: murmur.wav, cough.wav, lift_hum.wav,
lift_fan.wav and lift_stall.wav. Seeded numpy synthesis, nothing recorded or downloaded;
each file loops seamlessly (events wrap round the end, tones have whole cycles per loop).

python scenarios/sounds/make_people.py

- murmur: 14 voices talking quietly at once in a hall. Each voice is a glottal pulse train
  (men about 115 Hz, women about 210 Hz, with falling intonation) through two vowel
  formants (Peterson & Barney's averages), 4 to 5 syllables a second in phrases with pauses,
  plus short fricative noise; then a room (0.5 s of decaying noise) and distance (low-pass).
- cough: two people coughing, 5 s apart, in the same room.
- lift_hum: the motor and its 50 Hz hum, a faint whine and the rumble of the shaft.
- lift_fan: the car's ventilation fan: soft broadband air noise with a blade tone.
- lift_stall: a stalled lift: a heavy clunk as the brake bites, then the car creaks and a relay
  ticks now and then.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

RATE = 22050
VOWELS = [(730, 1090), (270, 2290), (300, 870), (530, 1840), (570, 840), (660, 1720), (440, 1020)]


def _wrap_add(out: np.ndarray, start: int, sig: np.ndarray) -> None:
    idx = (start + np.arange(len(sig))) % len(out)
    np.add.at(out, idx, sig)


def _resonator(x: np.ndarray, f: float, bw: float) -> np.ndarray:
    r = np.exp(-np.pi * bw / RATE)
    a = [1.0, -2 * r * np.cos(2 * np.pi * f / RATE), r * r]
    return lfilter([1 - r], a, x)


def _room(x: np.ndarray, rng: np.random.Generator, seconds: float = 0.5, wet: float = 0.35) -> np.ndarray:
    n = int(seconds * RATE)
    tail = rng.standard_normal(n) * np.exp(-np.arange(n) / (n / 6))
    spectrum = np.fft.rfft(x) * np.fft.rfft(tail, len(x))  # circular: the echo wraps like the loop
    wet_sig = np.fft.irfft(spectrum, len(x))
    return x + wet * wet_sig / (np.abs(wet_sig).max() + 1e-9) * np.abs(x).max()


def _lowpass(x: np.ndarray, hz: float) -> np.ndarray:
    return sosfilt(butter(4, hz, fs=RATE, output="sos"), np.concatenate([x, x]))[len(x) :]  # settled, looped


def _voice(rng: np.random.Generator, seconds: float) -> np.ndarray:
    out = np.zeros(int(seconds * RATE))
    woman = rng.random() < 0.5
    f0 = rng.normal(210 if woman else 115, 15)
    t = rng.uniform(0, seconds)
    for _ in range(int(seconds * 2)):
        phrase = rng.uniform(0.8, 2.6)
        n_syl = max(1, int(phrase * rng.uniform(4.0, 5.2)))
        syl = int(RATE * phrase / n_syl)
        for k in range(n_syl):
            f = f0 * (1.08 - 0.18 * k / n_syl) * rng.uniform(0.95, 1.05)  # phrases fall in pitch
            phase = np.cumsum(np.full(syl, f / RATE))
            pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float)
            f1, f2 = VOWELS[rng.integers(len(VOWELS))]
            sound = _resonator(pulses, f1, 90) + 0.5 * _resonator(pulses, f2, 120)
            if rng.random() < 0.4:  # a consonant: a little hiss at the start
                hiss = rng.standard_normal(syl // 4) * 0.05
                sound[: len(hiss)] += lfilter([1, -0.95], [1], hiss)
            env = np.sin(np.linspace(0, np.pi, syl)) ** 1.5 * rng.uniform(0.6, 1.0)
            _wrap_add(out, int(t * RATE) + k * syl, sound * env)
        t += phrase + rng.uniform(0.3, 2.0)
        if t > 2 * seconds:
            break
    return out / (np.abs(out).max() + 1e-9)


def murmur(seed: int = 3, seconds: float = 12.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = sum(_voice(rng, seconds) * rng.uniform(0.4, 1.0) for _ in range(14))
    return _lowpass(_room(mix, rng, 0.6, 0.5), 3200)


def _cough(rng: np.random.Generator, n_bursts: int) -> np.ndarray:
    out = np.zeros(int(0.25 * RATE * n_bursts + RATE))
    f0 = rng.uniform(110, 220)
    for b in range(n_bursts):
        n = int(RATE * rng.uniform(0.16, 0.26))
        t = np.arange(n) / RATE
        env = (1 - np.exp(-t / 0.008)) * np.exp(-t / rng.uniform(0.05, 0.09))
        noise = rng.standard_normal(n)
        voiced = np.sign(np.sin(2 * np.pi * f0 * (1 - 0.3 * t / t[-1]) * t)) * 0.3
        burst = _resonator(noise + voiced, rng.uniform(500, 800), 400) + 0.6 * _resonator(noise, 1600, 900)
        start = int(b * RATE * rng.uniform(0.22, 0.3))
        out[start : start + n] += burst * env * (1.0 - 0.25 * b)
    return out / (np.abs(out).max() + 1e-9)


def cough(seed: int = 5, seconds: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE))
    for at, bursts, gain in ((1.2, 3, 1.0), (6.4, 2, 0.7)):
        _wrap_add(out, int(at * RATE), _cough(rng, bursts) * gain)
    return _lowpass(_room(out, rng, 0.6, 0.45), 5000)


def _tone(f: float, seconds: float) -> np.ndarray:
    f = round(f * seconds) / seconds  # whole cycles per loop: no click at the seam
    return np.sin(2 * np.pi * f * np.arange(int(seconds * RATE)) / RATE)


def _coloured_noise(rng: np.random.Generator, n: int, corner: float, power: float = 2.0) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum *= 1.0 / (1.0 + (freqs / corner) ** power) * (freqs > 25)
    out = np.fft.irfft(spectrum, n)  # circular spectrum: a seamless loop
    return out / np.abs(out).max()


def lift_hum(seed: int = 7, seconds: float = 8.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    hum = 0.5 * _tone(50, seconds) + 0.35 * _tone(100, seconds) + 0.15 * _tone(150, seconds)
    whine = 0.08 * _tone(380, seconds) * (1 + 0.3 * _tone(0.25, seconds))
    rumble = 0.6 * _coloured_noise(rng, n, 120)
    return hum * 0.6 + whine + rumble


def lift_fan(seed: int = 9, seconds: float = 8.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    air = _coloured_noise(rng, n, 900, 1.5)
    return air + 0.06 * _tone(118, seconds) + 0.03 * _tone(236, seconds)


def lift_stall(seed: int = 11, seconds: float = 12.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE))
    n = int(1.2 * RATE)  # the brake: a thump and the ring of steel
    t = np.arange(n) / RATE
    thump = np.sin(2 * np.pi * 48 * t) * np.exp(-t / 0.12) + 0.5 * _lowpass(rng.standard_normal(n), 300) * np.exp(
        -t / 0.05
    )
    ring = sum(a * np.sin(2 * np.pi * f * t) * np.exp(-t / d) for f, a, d in ((710, 0.2, 0.4), (1130, 0.12, 0.3)))
    _wrap_add(out, int(0.8 * RATE), thump + ring)
    for at in (4.6, 8.9):  # the car creaks on its ropes
        m = int(rng.uniform(0.5, 0.9) * RATE)
        rate = np.linspace(rng.uniform(25, 40), rng.uniform(55, 85), m)
        pulses = (np.diff(np.floor(np.cumsum(rate / RATE)), prepend=0) > 0).astype(float)
        creak = _resonator(pulses, rng.uniform(420, 650), 60) + 0.5 * _resonator(pulses, 1400, 150)
        _wrap_add(out, int(at * RATE), creak * np.sin(np.linspace(0, np.pi, m)) * 0.5)
    for at in (2.9, 7.1, 10.8):  # a relay ticks
        click = rng.standard_normal(200) * np.exp(-np.arange(200) / 30)
        _wrap_add(out, int(at * RATE), _resonator(click, 2500, 800) * 0.3)
    return out + 0.01 * _coloured_noise(rng, len(out), 200)


def write(path: Path, signal: np.ndarray, peak: float = 0.8) -> None:
    data = (signal / (np.abs(signal).max() + 1e-9) * peak * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(data.tobytes())


if __name__ == "__main__":
    here = Path(__file__).parent
    for name, make in (
        ("murmur", murmur),
        ("cough", cough),
        ("lift_hum", lift_hum),
        ("lift_fan", lift_fan),
        ("lift_stall", lift_stall),
    ):
        write(here / f"{name}.wav", make())
        print(f"wrote {here / name}.wav")
