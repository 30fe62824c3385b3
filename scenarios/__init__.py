"""Built-in scenarios (YAML data; this file only makes them findable once installed)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent


def builtin(name: str) -> Path:
    """Path of a shipped scenario, e.g. ``builtin("heights")``."""
    return HERE / f"{name}.yaml"
