"""Regenerate wind.wav: seeded, low-passed noise with slow gusts that loops seamlessly.

python scenarios/sounds/make_wind.py
"""

import wave
from pathlib import Path

import numpy as np

RATE, SECONDS = 22050, 6.0


def wind(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(RATE * SECONDS)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    # Wind is mostly below 1 kHz; a circular spectrum makes the loop seamless.
    spectrum *= 1.0 / (1.0 + (freqs / 350.0) ** 2) * (freqs > 20)
    noise = np.fft.irfft(spectrum, n)
    t = np.arange(n) / RATE
    gusts = 0.65 + 0.35 * np.sin(2 * np.pi * t / SECONDS) * np.sin(2 * np.pi * 3 * t / SECONDS + 1.0)
    out = noise * gusts
    return (out / np.abs(out).max() * 0.8 * 32767).astype(np.int16)


if __name__ == "__main__":
    path = Path(__file__).with_name("wind.wav")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(wind().tobytes())
    print(f"wrote {path}")
