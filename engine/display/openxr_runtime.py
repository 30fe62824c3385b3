"""Is there an OpenXR runtime to talk to, and saying so in one line.

``require_runtime`` is asked before a session starts (``DisplayConfig.check``), so that a
missing runtime is refused before any session folder or stream exists. The OpenXR loader
prints its own multi-line errors to stderr; ``quiet_loader`` keeps them from the user, who
gets one line naming what is missing and what to do (``XR_LOADER_DEBUG=error`` shows them).

Where the loader looks, on Linux (OpenXR loader spec, "Runtime Discovery"): the manifest
named by ``XR_RUNTIME_JSON``; else ``openxr/1/active_runtime.json`` under
``$XDG_CONFIG_HOME`` (~/.config), then ``$XDG_CONFIG_DIRS`` (/etc/xdg), then /etc.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from engine.display.openxr_gl import KHR_GL
from engine.errors import VrexError

__all__ = ["explain", "import_xr", "instance_info", "quiet_loader", "require_runtime", "runtime_name", "text"]

INSTALL_HELP = "OpenXR support is not installed — pip install 'vrex[xr]' (pyopenxr)"
RUNTIME_HELP = (
    "no OpenXR runtime found — install and start one (SteamVR, WiVRn or Monado); on Linux the "
    "loader reads XR_RUNTIME_JSON, else active_runtime.json in ~/.config/openxr/1/ or "
    "/etc/xdg/openxr/1/"
)


def require_runtime(timeout_s: float = 1.5) -> None:
    """Raise ``VrexError`` (one line: what is missing, what to do) unless an OpenXR runtime
    with OpenGL support sees a headset. Opens no window; answers within ``timeout_s``
    (plus pyopenxr's import), since a runtime that is starting up can block for long."""
    xr = import_xr()
    outcome: dict[str, BaseException] = {}

    def probe() -> None:
        try:
            _probe(xr)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    with quiet_loader():
        thread = threading.Thread(target=probe, name="vrex-openxr-probe", daemon=True)
        thread.start()
        thread.join(timeout_s)
    if thread.is_alive():
        raise VrexError(
            f"the OpenXR runtime did not answer within {timeout_s:g} s — it may still be "
            "starting (SteamVR) or be stuck; restart it and try again"
        )
    if "error" in outcome:
        raise explain(xr, outcome["error"]) from None


def _probe(xr: Any) -> None:
    offered = {text(p.extension_name) for p in xr.enumerate_instance_extension_properties()}
    if KHR_GL not in offered:
        raise VrexError(f"the OpenXR runtime lacks {KHR_GL} — vrex renders with OpenGL; use SteamVR, WiVRn or Monado")
    instance = xr.create_instance(instance_info(xr, [KHR_GL]))
    try:
        xr.get_system(instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY))
    finally:
        xr.destroy_instance(instance)


def import_xr() -> Any:
    try:
        import xr
    except ImportError:
        raise VrexError(INSTALL_HELP) from None
    return xr


def explain(xr: Any, exc: BaseException) -> BaseException:
    """``exc`` as one line for the user where it is the runtime's doing; else unchanged."""
    if isinstance(exc, VrexError):
        return exc
    if isinstance(exc, xr.RuntimeUnavailableError):
        return VrexError(RUNTIME_HELP)
    if isinstance(exc, xr.FormFactorUnavailableError):
        return VrexError(
            "the OpenXR runtime sees no headset — connect it and wake it (WiVRn: start the WiVRn "
            "app in the headset), then try again"
        )
    if isinstance(exc, xr.XrException):
        return VrexError(
            f"the OpenXR runtime refused: {exc} ({type(exc).__name__}) — restart the runtime "
            "(and the headset) and try again"
        )
    return exc


@contextmanager
def quiet_loader() -> Iterator[None]:
    """The OpenXR loader prints its own errors to stderr; vrex says one line instead. The
    loader reads XR_LOADER_DEBUG once, on its first call; later calls are silenced by
    pointing file descriptor 2 at /dev/null. A user who sets XR_LOADER_DEBUG sees all."""
    if "XR_LOADER_DEBUG" in os.environ and os.environ["XR_LOADER_DEBUG"] != "none":
        yield
        return
    os.environ["XR_LOADER_DEBUG"] = "none"
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def instance_info(xr: Any, extensions: list[str]) -> Any:
    return xr.InstanceCreateInfo(
        application_info=xr.ApplicationInfo(
            application_name="vrex", application_version=1, engine_name="Panda3D", engine_version=0
        ),
        enabled_extension_names=extensions,
    )


def runtime_name(xr: Any, instance: Any) -> str:
    try:
        return text(xr.get_instance_properties(instance).runtime_name)
    except Exception:  # only used to word an error better
        return "unnamed"


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
