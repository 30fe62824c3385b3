"""What every benchmark records about where it ran: CPU, cores, load, versions, other runs."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path


def pin(core: int) -> list[int] | None:
    """Pin this process to one core (``core`` < 0: leave it); the cores it may use."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    if core >= 0:
        os.sched_setaffinity(0, {core})
    return sorted(os.sched_getaffinity(0))


def training_runs() -> list[str]:
    """Command lines of other ``vrex train`` processes running now (they skew timings)."""
    found = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if int(d.name) != os.getpid() and "vrex" in cmd and " train" in cmd and "timeout" not in cmd.split()[0]:
            found.append(f"{d.name}: {cmd[:200]}")
    return found


def _version(pkg: str) -> str | None:
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu_model": cpu,
        "cpus": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "stable_baselines3": _version("stable_baselines3"),
        "gymnasium": _version("gymnasium"),
        "training_runs_active": training_runs(),
    }


def write_result(path: Path, result: dict) -> None:
    """The benchmark's JSON, in benchmarks/results/ unless told otherwise."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
