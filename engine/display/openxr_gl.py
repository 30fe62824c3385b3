"""The OpenGL half of the OpenXR display: the only part that touches GL, kept small.

Panda3D draws each eye into its own buffer, as ``hmd-sim`` does. A draw callback on that
buffer's last display region (the head-locked overlay, so the veil is in the image) then
blits what was drawn into the swapchain image the runtime lent for this frame
(``glBlitFramebuffer``, which also resolves multisampling). The callback runs while Panda3D
has its own context current and the eye's framebuffer bound for reading; it binds only its
own draw framebuffer and puts back every piece of state it changes, so Panda3D's state
cache stays true. This needs Panda3D's default single-threaded pipeline (the draw happens
inside ``renderFrame``, between the display's ``begin_frame`` and ``end_frame``).

Session creation needs the handles of that same context (``XrGraphicsBindingOpenGLXlibKHR``
for GLX windows, ``XrGraphicsBindingEGLMNDX`` for Panda3D's EGL pipe, p3headlessgl): they
are read inside a draw callback too, the one moment Panda3D guarantees its context is
current. Both use ctypes on the system's libGL/libEGL; the blit uses PyOpenGL (pyopenxr's
dependency). CI proves the capture and the blit on Mesa's EGL; a runtime takes it from there.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from typing import Any

from panda3d.core import PythonCallbackObject

from engine.errors import VrexError

log = logging.getLogger(__name__)

GL_RGBA8, GL_SRGB8_ALPHA8 = 0x8058, 0x8C43
# Panda3D writes display-ready (sRGB-encoded) bytes into a plain RGBA8 buffer; an sRGB
# swapchain image tells the compositor exactly that. A linear one would be encoded twice.
FORMATS = {GL_SRGB8_ALPHA8: "GL_SRGB8_ALPHA8", GL_RGBA8: "GL_RGBA8 (colours will look washed out)"}
KHR_GL, MNDX_EGL = "XR_KHR_opengl_enable", "XR_MNDX_egl_enable"


def choose_swapchain_format(offered: Sequence[int]) -> int:
    for fmt in FORMATS:
        if fmt in offered:
            if fmt != GL_SRGB8_ALPHA8:
                log.warning("the OpenXR runtime offers no sRGB swapchain; using %s", FORMATS[fmt])
            return fmt
    raise VrexError(
        "the OpenXR runtime offers no 8-bit RGBA swapchain format (offered: "
        + ", ".join(hex(f) for f in offered)
        + ") — vrex needs GL_SRGB8_ALPHA8 or GL_RGBA8"
    )


def pipe_api(base: Any) -> str:
    """``"glx"`` or ``"egl"``: how Panda3D's GL context was made."""
    pipe = base.pipe.getType().getName()
    if pipe.startswith("glx"):
        return "glx"
    if pipe.startswith("egl"):
        return "egl"
    raise VrexError(
        f"the OpenXR display needs OpenGL, but Panda3D renders with {pipe} — run on a desktop "
        "(pandagl) or with --renderer p3headlessgl"
    )


def last_region(buffer: Any) -> Any:
    """The eye buffer's region drawn last (hmd-sim's overlay, sort 10)."""
    regions = [buffer.getDisplayRegion(i) for i in range(buffer.getNumDisplayRegions())]
    return max(regions, key=lambda r: r.getSort())


class GlGraphics:
    """What the OpenXR display asks of OpenGL; a test passes a stand-in with these methods."""

    def __init__(self, base: Any):
        self.base = base
        self.api = pipe_api(base)
        self._binding: Any = None  # kept alive: the runtime reads it in xrCreateSession

    def extensions(self, offered: set[str]) -> list[str]:
        # XR_KHR_opengl_enable also for EGL: its requirements call is mandatory before a GL
        # session on every runtime (Monado refuses an EGL session without it).
        missing = [e for e in ((KHR_GL, MNDX_EGL) if self.api == "egl" else (KHR_GL,)) if e not in offered]
        if missing:
            hint = (
                ""
                if MNDX_EGL not in missing
                else (
                    " — Panda3D's EGL renderer (p3headlessgl) needs XR_MNDX_egl_enable (Monado, WiVRn); with "
                    "SteamVR run vrex on a desktop, where it renders with GLX (pandagl)"
                )
            )
            raise VrexError(
                f"the OpenXR runtime lacks {', '.join(missing)}, which vrex needs to hand it OpenGL images{hint}"
            )
        return [KHR_GL, MNDX_EGL] if self.api == "egl" else [KHR_GL]

    def check_requirements(self, xr: Any, instance: Any, system_id: Any) -> None:
        pfn = ctypes.cast(
            xr.get_instance_proc_addr(instance, "xrGetOpenGLGraphicsRequirementsKHR"),
            xr.PFN_xrGetOpenGLGraphicsRequirementsKHR,
        )
        req = xr.GraphicsRequirementsOpenGLKHR()
        result = xr.check_result(xr.Result(pfn(instance, system_id, ctypes.byref(req))))
        if result.is_exception():
            raise result
        gsg = self.base.win.getGsg()
        have, low = (gsg.getDriverVersionMajor(), gsg.getDriverVersionMinor()), req.min_api_version_supported
        if have < (low.major, low.minor):
            raise VrexError(
                f"the OpenXR runtime needs OpenGL {low.major}.{low.minor}; Panda3D's context "
                f"is {have[0]}.{have[1]} ({gsg.getDriverRenderer()}) — update the GPU driver"
            )

    def binding(self, xr: Any, region: Any) -> ctypes.c_void_p:
        """``XrSessionCreateInfo.next``: Panda3D's context, read while it is current."""
        seen: list[dict[str, int]] = []

        def grab(cbdata: Any) -> None:
            cbdata.upcall()
            seen.append(current_context(self.api))

        region.setDrawCallback(PythonCallbackObject(grab))
        try:
            self.base.graphicsEngine.renderFrame()
        finally:
            region.clearDrawCallback()
        if not seen or not seen[0]["context"]:
            raise VrexError(
                "Panda3D drew no frame with a current OpenGL context, so there is none to hand "
                "to the OpenXR runtime — is the eye buffer inactive?"
            )
        ctx = seen[0]
        if self.api == "egl":
            b = xr.GraphicsBindingEGLMNDX(get_proc_address=xr.PFN_xrEglGetProcAddressMNDX(ctx["get_proc_address"]))
            fields = ("display", "config", "context")
        else:
            b = xr.GraphicsBindingOpenGLXlibKHR(visualid=ctx["visualid"], glx_drawable=ctx["drawable"])
            fields = ("x_display", "glx_fbconfig", "glx_context")
        for name, key in zip(fields, ("display", "config", "context")):
            setattr(b, name, ctypes.cast(ctypes.c_void_p(ctx[key]), _field_type(type(b), name)))
        self._binding = b
        return ctypes.cast(ctypes.pointer(b), ctypes.c_void_p)

    def image_ids(self, xr: Any, swapchain: Any) -> list[int]:
        return [int(image.image) for image in xr.enumerate_swapchain_images(swapchain, xr.SwapchainImageOpenGLKHR)]

    def attach(self, region: Any, size: tuple[int, int]) -> SwapchainBlit:
        blit = SwapchainBlit(size)
        blit.attach(region)
        return blit


class SwapchainBlit:
    """Copies an eye's image into ``target`` (the acquired swapchain texture) each time
    Panda3D draws the eye's ``region``; does nothing while ``target`` is None."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        self.region: Any = None
        self.target: int | None = None
        self._fbos: dict[int, int] = {}  # swapchain texture → our framebuffer around it

    def attach(self, region: Any) -> None:
        self.region = region
        region.setDrawCallback(PythonCallbackObject(self._draw))

    def _draw(self, cbdata: Any) -> None:
        cbdata.upcall()
        if self.target is not None:
            self.blit(self.target)

    def blit(self, texture: int) -> None:
        from OpenGL import GL

        GL.glGetError()  # an error Panda3D left would be pinned on us
        fbo = self._fbos.get(texture)
        draw_before = int(GL.glGetIntegerv(GL.GL_DRAW_FRAMEBUFFER_BINDING))
        scissor, srgb = GL.glIsEnabled(GL.GL_SCISSOR_TEST), GL.glIsEnabled(GL.GL_FRAMEBUFFER_SRGB)
        try:
            if fbo is None:
                fbo = self._fbos[texture] = int(GL.glGenFramebuffers(1))
                GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, fbo)
                GL.glFramebufferTexture2D(GL.GL_DRAW_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, texture, 0)
            else:
                GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, fbo)
            GL.glDisable(GL.GL_SCISSOR_TEST)  # Panda3D's region scissor would clip the blit
            GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)  # copy the bytes as drawn: they are sRGB already
            w, h = self.size
            GL.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST)
        finally:
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, draw_before)
            (GL.glEnable if scissor else GL.glDisable)(GL.GL_SCISSOR_TEST)
            (GL.glEnable if srgb else GL.glDisable)(GL.GL_FRAMEBUFFER_SRGB)

    def detach(self) -> None:
        # The framebuffers die with Panda3D's context; deleting them needs it current.
        if self.region is not None:
            self.region.clearDrawCallback()
        self.region, self.target = None, None


def current_context(api: str) -> dict[str, int]:
    """The calling thread's current GL context and what a binding needs with it (0: none)."""
    return _egl_context() if api == "egl" else _glx_context()


_int_p, _void_p = ctypes.POINTER(ctypes.c_int), ctypes.c_void_p


def _egl_context() -> dict[str, int]:
    egl = ctypes.CDLL("libEGL.so.1")
    egl.eglGetCurrentDisplay.restype = egl.eglGetCurrentContext.restype = _void_p
    egl.eglQueryContext.argtypes = [_void_p, _void_p, ctypes.c_int, _int_p]
    egl.eglChooseConfig.argtypes = [_void_p, _int_p, ctypes.POINTER(_void_p), ctypes.c_int, _int_p]
    display, context = egl.eglGetCurrentDisplay(), egl.eglGetCurrentContext()
    config, config_id, n = _void_p(), ctypes.c_int(0), ctypes.c_int(0)
    if context and egl.eglQueryContext(display, context, 0x3028, ctypes.byref(config_id)):  # EGL_CONFIG_ID
        attribs = (ctypes.c_int * 3)(0x3028, config_id.value, 0x3038)  # …, EGL_NONE
        egl.eglChooseConfig(display, attribs, ctypes.byref(config), 1, ctypes.byref(n))
    return {
        "display": display or 0,
        "context": context or 0,
        "config": config.value or 0,
        "get_proc_address": ctypes.cast(egl.eglGetProcAddress, _void_p).value,
    }


def _glx_context() -> dict[str, int]:
    glx = ctypes.CDLL("libGL.so.1")
    glx.glXGetCurrentDisplay.restype = glx.glXGetCurrentContext.restype = _void_p
    glx.glXGetCurrentDrawable.restype = ctypes.c_ulong
    glx.glXQueryContext.argtypes = [_void_p, _void_p, ctypes.c_int, _int_p]
    glx.glXChooseFBConfig.restype = ctypes.POINTER(_void_p)
    glx.glXChooseFBConfig.argtypes = [_void_p, ctypes.c_int, _int_p, _int_p]
    glx.glXGetFBConfigAttrib.argtypes = [_void_p, _void_p, ctypes.c_int, _int_p]
    display, context = glx.glXGetCurrentDisplay(), glx.glXGetCurrentContext()
    out = {
        "display": display or 0,
        "context": context or 0,
        "drawable": glx.glXGetCurrentDrawable(),
        "config": 0,
        "visualid": 0,
    }
    fb_id, screen, n, visual = ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0), ctypes.c_int(0)
    if context and glx.glXQueryContext(display, context, 0x8013, ctypes.byref(fb_id)) == 0:  # GLX_FBCONFIG_ID
        glx.glXQueryContext(display, context, 0x800C, ctypes.byref(screen))  # GLX_SCREEN
        configs = glx.glXChooseFBConfig(
            display, screen.value, (ctypes.c_int * 3)(0x8013, fb_id.value, 0), ctypes.byref(n)
        )
        if configs and n.value:
            out["config"] = configs[0] or 0  # (the one-entry list itself is not XFree'd: once a session)
            glx.glXGetFBConfigAttrib(display, configs[0], 0x800B, ctypes.byref(visual))  # GLX_VISUAL_ID
            out["visualid"] = visual.value
    return out


def _field_type(struct: type, name: str) -> type:
    for klass in struct.__mro__:
        for field, kind in getattr(klass, "_fields_", ()):
            if field == name:
                return kind
    raise AttributeError(f"{struct.__name__} has no field {name}")
