"""pylsl, loaded once for every ``sensors/lsl_*`` module, after pointing liblsl at vrex's quiet
config: the only module that imports pylsl, so that no import order can load liblsl before its
config is set. Also what those modules share: the pylsl exceptions that mean "LSL failed"
(``LSL_ERRORS``), the channel-format tables, the C library handle for calls pylsl does not wrap,
and ``local_clock``, the time base of every timestamp in vrex. Import the public API from
``sensors.lsl``."""

from __future__ import annotations


def _quiet_liblsl() -> None:
    """Point liblsl at ``sensors/lsl_api.cfg`` (errors and warnings only) unless the user has
    a config of their own, in the places liblsl looks (its docs: LSLAPICFG, ./lsl_api.cfg,
    ~/lsl_api/lsl_api.cfg, /etc/lsl_api/lsl_api.cfg). Must run before pylsl loads liblsl."""
    import os
    from pathlib import Path

    own = (Path("lsl_api.cfg"), Path.home() / "lsl_api" / "lsl_api.cfg", Path("/etc/lsl_api/lsl_api.cfg"))
    if "LSLAPICFG" not in os.environ and not any(p.exists() for p in own):
        os.environ["LSLAPICFG"] = str(Path(__file__).with_name("lsl_api.cfg"))


_quiet_liblsl()
import pylsl  # noqa: E402  (after the config above)
from pylsl.lib import fmt2string as FMT_NAMES  # noqa: E402
from pylsl.lib import lib as liblsl  # noqa: E402
from pylsl.lib import string2fmt as FMT_CODES  # noqa: E402

LSL_ERRORS = tuple(
    getattr(pylsl.util, n)
    for n in ("LostError", "TimeoutError", "InvalidArgumentError", "InternalError")
    if hasattr(pylsl.util, n)
)


def local_clock() -> float:
    """Now, on LSL's clock: the time base of every timestamp in vrex."""
    return pylsl.local_clock()


__all__ = ["FMT_CODES", "FMT_NAMES", "LSL_ERRORS", "liblsl", "local_clock", "pylsl"]
