"""A stand-in for pyopenxr: its functions are scripted, its types are pyopenxr's own.

The display builds real ``xr`` structures (frame end info, projection layers, create
infos) and the fake reads them back as a runtime would, so a wrong field or argument
fails here as it would against SteamVR. Events are real ``XrEventDataBuffer`` contents,
decoded by the code under test. Every call is recorded, in order, in ``calls``.

Controllers: the runtime takes suggested bindings (``suggested``; a profile in ``refuse``
raises PathUnsupported), binds ``bound`` (hand → interaction profile path), and reports
``buttons`` (boolean action → held) and ``sticks`` (vector action → (x, y)) at each sync,
with ``changed_since_last_sync`` as a runtime computes it. Syncing before the action set
is attached, attaching twice, or syncing while the session is not FOCUSED fails as the
spec says a runtime must.
"""

from __future__ import annotations

import ctypes
import math
import time
from collections import deque
from typing import Any

GL_RGBA8, GL_SRGB8_ALPHA8 = 0x8058, 0x8C43
PERIOD_NS = 11_111_111  # a 90 Hz headset


class FakeXr:
    def __init__(
        self,
        real: Any,
        *,
        size: tuple[int, int] = (64, 48),
        formats=(GL_RGBA8, GL_SRGB8_ALPHA8),
        spaces=("VIEW", "LOCAL", "STAGE"),
        extensions=("XR_KHR_opengl_enable", "XR_MNDX_egl_enable"),
    ):
        self._real = real
        self.size, self.formats, self.spaces, self.extensions = size, formats, spaces, extensions
        self.calls: list[str] = []
        self.infos: dict[str, list[Any]] = {}  # what each function was given (its info struct)
        self.events: deque = deque()
        self.should_render = True
        self.tracked = True
        self.discard_next = False
        self.fail: dict[str, tuple[BaseException, int]] = {}  # name → (error, calls to let through first)
        self.delay: dict[str, float] = {}
        half_ipd = 0.032
        self.view_poses = [((-half_ipd, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0)), ((half_ipd, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0))]
        self.view_fovs = [(-0.96, 0.83, 0.82, -0.86), (-0.83, 0.96, 0.82, -0.86)]  # radians
        self.gl_images: list[list[int]] = []  # per swapchain, in creation order: GL texture names
        self.gl_min_version = (3, 3)
        self._keep: list[Any] = []  # ctypes callbacks handed out as function pointers
        self.names: dict[int, str] = {}
        self._next = 0x1000
        self._time = 1_000_000_000
        self._acquired: dict[str, int] = {}
        self.session_state = "IDLE"  # the last state event the display read
        self.refuse: set[str] = set()  # interaction profiles this runtime lacks
        self.suggested: dict[str, list[tuple[str, str]]] = {}  # profile → (action, path) it took
        self.actions: dict[str, str] = {}  # action name → its type's name
        self.bound: dict[str, str] = {}  # hand → interaction profile path
        self.buttons: dict[str, bool] = {}
        self.sticks: dict[str, tuple[float, float]] = {}
        self.attached = 0
        self._paths: dict[str, int] = {}
        self._synced: dict[str, Any] = {}  # action → its value at the last sync
        self._changed: dict[str, bool] = {}

    def __getattr__(self, name: str) -> Any:
        # types, enums, constants and exceptions are pyopenxr's; a function that is not faked
        # below is a call the display was not expected to make
        value = getattr(self._real, name)
        if name[:1].islower() and callable(value) and name != "check_result":  # (that one is pure Python)
            raise AttributeError(f"FakeXr does not fake xr.{name}")
        return value

    # -- scripting ------------------------------------------------------------------------------

    def push_state(self, *names: str) -> None:
        for name in names:
            event = self._real.EventDataSessionStateChanged(state=self._real.SessionState[name], time=self._time)
            self.events.append(event)

    def push_recentre(self, space: str = "LOCAL") -> None:
        self.events.append(
            self._real.EventDataReferenceSpaceChangePending(reference_space_type=self._real.ReferenceSpaceType[space])
        )

    def push_instance_loss(self) -> None:
        self.events.append(self._real.EventDataInstanceLossPending())

    def push_profile_changed(self) -> None:
        self.events.append(self._real.EventDataInteractionProfileChanged())

    def fail_on(self, name: str, error: BaseException, after: int = 0) -> None:
        self.fail[name] = (error, after)

    def frame_calls(self) -> list[str]:
        frame = {
            "wait_frame",
            "begin_frame",
            "locate_views",
            "acquire_swapchain_image",
            "wait_swapchain_image",
            "release_swapchain_image",
            "end_frame",
        }
        return [c for c in self.calls if c.split(":")[0] in frame]

    def name_of(self, handle: Any) -> str:
        return self.names[ctypes.cast(handle, ctypes.c_void_p).value]

    # -- bookkeeping ----------------------------------------------------------------------------

    def _call(self, name: str, detail: str = "", info: Any = None) -> None:
        self.calls.append(f"{name}:{detail}" if detail else name)
        self.infos.setdefault(name, []).append(info)
        if name in self.delay:
            time.sleep(self.delay[name])
        if name in self.fail:
            error, after = self.fail[name]
            if after <= 0:
                raise error
            self.fail[name] = (error, after - 1)

    def _handle(self, kind: str, name: str) -> Any:
        self._next += 0x10
        self.names[self._next] = name
        return ctypes.cast(ctypes.c_void_p(self._next), getattr(self._real, kind))

    # -- pyopenxr's functions -------------------------------------------------------------------

    def enumerate_instance_extension_properties(self, layer_name: str | None = None) -> list[Any]:
        self._call("enumerate_instance_extension_properties")
        return [self._real.ExtensionProperties(extension_name=e) for e in self.extensions]

    def create_instance(self, info: Any) -> Any:
        self._call("create_instance", info=[n.decode() for n in info.enabled_extension_names])
        return self._handle("Instance", "instance")

    def destroy_instance(self, instance: Any) -> None:
        self._call("destroy_instance", self.name_of(instance))

    def get_instance_properties(self, instance: Any) -> Any:
        return self._real.InstanceProperties(runtime_name="Fake runtime")

    def get_instance_proc_addr(self, instance: Any, name: str) -> Any:
        self._call("get_instance_proc_addr", name)
        if name != "xrGetOpenGLGraphicsRequirementsKHR":
            raise self._real.FunctionUnsupportedError()
        real, low = self._real, self.gl_min_version

        def requirements(instance: Any, system: int, out: Any) -> int:
            out.contents.min_api_version_supported = real.Version(*low, 0)
            out.contents.max_api_version_supported = real.Version(4, 6, 0)
            self._call("xrGetOpenGLGraphicsRequirementsKHR")
            return real.Result.SUCCESS.value

        self._keep.append(real.PFN_xrGetOpenGLGraphicsRequirementsKHR(requirements))
        return ctypes.cast(self._keep[-1], real.PFN_xrVoidFunction)

    def enumerate_swapchain_images(self, swapchain: Any, element_type: type) -> Any:
        ids = self.gl_images.pop(0)
        return (element_type * len(ids))(*(element_type(image=i) for i in ids))

    def get_system(self, instance: Any, info: Any) -> int:
        self._call("get_system", info=self._real.FormFactor(info.form_factor).name)
        return 1

    def enumerate_view_configuration_views(self, instance: Any, system: int, kind: Any) -> list[Any]:
        self._call("enumerate_view_configuration_views", kind.name)
        w, h = self.size
        return [self._real.ViewConfigurationView(w, 2 * w, h, 2 * h, 1, 4) for _ in range(2)]

    def enumerate_environment_blend_modes(self, instance: Any, system: int, kind: Any) -> list[int]:
        return [self._real.EnvironmentBlendMode.OPAQUE.value]

    def create_session(self, instance: Any, info: Any) -> Any:
        self._call("create_session", info=info.next)
        return self._handle("Session", "session")

    def destroy_session(self, session: Any) -> None:
        self._call("destroy_session", self.name_of(session))

    def enumerate_reference_spaces(self, session: Any) -> list[int]:
        return [self._real.ReferenceSpaceType[s].value for s in self.spaces]

    def create_reference_space(self, session: Any, info: Any) -> Any:
        kind = self._real.ReferenceSpaceType(info.reference_space_type).name
        self._call("create_reference_space", kind)
        return self._handle("Space", f"space-{kind}")

    def destroy_space(self, space: Any) -> None:
        self._call("destroy_space", self.name_of(space))

    def enumerate_swapchain_formats(self, session: Any) -> list[int]:
        return list(self.formats)

    def create_swapchain(self, session: Any, info: Any) -> Any:
        n = sum(c.startswith("create_swapchain") for c in self.calls)
        self._call("create_swapchain", f"swapchain-{n}", info=(info.format, info.width, info.height, info.sample_count))
        return self._handle("Swapchain", f"swapchain-{n}")

    def destroy_swapchain(self, swapchain: Any) -> None:
        self._call("destroy_swapchain", self.name_of(swapchain))

    def acquire_swapchain_image(self, swapchain: Any, info: Any = None) -> int:
        name = self.name_of(swapchain)
        self._call("acquire_swapchain_image", name)
        self._acquired[name] = self._acquired.get(name, -1) + 1
        return self._acquired[name] % 3

    def wait_swapchain_image(self, swapchain: Any, info: Any) -> None:
        self._call("wait_swapchain_image", self.name_of(swapchain))

    def release_swapchain_image(self, swapchain: Any, info: Any = None) -> None:
        self._call("release_swapchain_image", self.name_of(swapchain))

    def begin_session(self, session: Any, info: Any) -> None:
        self._call(
            "begin_session",
            self.name_of(session),
            info=self._real.ViewConfigurationType(info.primary_view_configuration_type).name,
        )

    def end_session(self, session: Any) -> None:
        self._call("end_session", self.name_of(session))

    def poll_event(self, instance: Any) -> Any:
        self._call("poll_event")
        if not self.events:
            raise self._real.EventUnavailable()
        event = self.events.popleft()
        if isinstance(event, self._real.EventDataSessionStateChanged):
            self.session_state = self._real.SessionState(event.state).name
        buffer = self._real.EventDataBuffer()
        ctypes.memmove(ctypes.byref(buffer), ctypes.byref(event), ctypes.sizeof(event))
        return buffer

    def wait_frame(self, session: Any, info: Any = None) -> Any:
        self._call("wait_frame")
        self._time += PERIOD_NS
        return self._real.FrameState(
            predicted_display_time=self._time, predicted_display_period=PERIOD_NS, should_render=int(self.should_render)
        )

    def begin_frame(self, session: Any, info: Any = None) -> None:
        self._call("begin_frame")
        if self.discard_next:
            self.discard_next = False
            raise self._real.FrameDiscarded()

    def locate_views(self, session: Any, info: Any) -> tuple[Any, Any]:
        self._call("locate_views", info=(info.display_time, self.name_of(info.space)))
        real = self._real
        flags = (
            real.ViewStateFlags.ORIENTATION_VALID_BIT | real.ViewStateFlags.POSITION_VALID_BIT
            if self.tracked
            else real.ViewStateFlags.NONE
        )
        views = (real.View * 2)()
        for view, (pos, quat), fov in zip(views, self.view_poses, self.view_fovs):
            view.pose = real.Posef(orientation=real.Quaternionf(*quat), position=real.Vector3f(*pos))
            view.fov = real.Fovf(*fov)
        return real.ViewState(view_state_flags=flags), views

    def end_frame(self, session: Any, info: Any) -> None:
        layers = []
        for i in range(info.layer_count):
            layer = ctypes.cast(info.layers[i], ctypes.POINTER(self._real.CompositionLayerProjection)).contents
            views = [layer.views[v] for v in range(layer.view_count)]
            layers.append(
                {
                    "space": self.name_of(layer.space),
                    "swapchains": [self.name_of(v.sub_image.swapchain) for v in views],
                    "extents": [
                        (v.sub_image.image_rect.extent.width, v.sub_image.image_rect.extent.height) for v in views
                    ],
                    "fov_left": [v.fov.angle_left for v in views],
                }
            )
        self._call("end_frame", info=(info.display_time, layers))

    # -- actions ----------------------------------------------------------------------------------

    def string_to_path(self, instance: Any, path_string: str) -> Any:
        if not path_string.startswith("/") or path_string.endswith("/") or path_string != path_string.lower():
            raise self._real.PathFormatInvalidError()
        return self._real.Path(self._paths.setdefault(path_string, len(self._paths) + 1))

    def path_to_string(self, instance: Any, path: Any) -> str:
        number = getattr(path, "value", path)
        return next(p for p, n in self._paths.items() if n == number)

    def create_action_set(self, instance: Any, info: Any) -> Any:
        self._call("create_action_set", info.action_set_name.decode())
        return self._handle("ActionSet", info.action_set_name.decode())

    def destroy_action_set(self, action_set: Any) -> None:
        self._call("destroy_action_set", self.name_of(action_set))

    def create_action(self, action_set: Any, info: Any) -> Any:
        name = info.action_name.decode()
        self._call("create_action", name)
        self.actions[name] = self._real.ActionType(info.action_type).name
        return self._handle("Action", name)

    def suggest_interaction_profile_bindings(self, instance: Any, info: Any) -> None:
        profile = self.path_to_string(instance, info.interaction_profile)
        self._call("suggest_interaction_profile_bindings", profile)
        if self.attached:
            raise self._real.ActionsetsAlreadyAttachedError()
        if profile in self.refuse:
            raise self._real.PathUnsupportedError()
        self.suggested[profile] = [
            (self.name_of(b.action), self.path_to_string(instance, b.binding)) for b in info.suggested_bindings
        ]

    def attach_session_action_sets(self, session: Any, info: Any) -> None:
        self._call("attach_session_action_sets", ",".join(self.name_of(s) for s in info.action_sets))
        if self.attached:
            raise self._real.ActionsetsAlreadyAttachedError()
        self.attached += 1

    def sync_actions(self, session: Any, info: Any) -> None:
        self._call("sync_actions", ",".join(self.name_of(a.action_set) for a in info.active_action_sets))
        if not self.attached:
            raise self._real.ActionsetNotAttachedError()
        if self.session_state != "FOCUSED":
            raise self._real.SessionNotFocused()
        for name, kind in self.actions.items():
            now = self.buttons.get(name, False) if kind == "BOOLEAN_INPUT" else self.sticks.get(name, (0.0, 0.0))
            self._changed[name] = now != self._synced.get(name, now if kind != "BOOLEAN_INPUT" else False)
            self._synced[name] = now

    def get_action_state_boolean(self, session: Any, info: Any) -> Any:
        name = self.name_of(info.action)
        return self._real.ActionStateBoolean(
            current_state=int(self._synced.get(name, False)),
            changed_since_last_sync=int(self._changed.get(name, False)),
            is_active=int(bool(self.bound)),
        )

    def get_action_state_vector2f(self, session: Any, info: Any) -> Any:
        name = self.name_of(info.action)
        return self._real.ActionStateVector2f(
            current_state=self._real.Vector2f(*self._synced.get(name, (0.0, 0.0))),
            changed_since_last_sync=int(self._changed.get(name, False)),
            is_active=int(bool(self.bound)),
        )

    def get_current_interaction_profile(self, session: Any, top_level_user_path: Any) -> Any:
        self._call("get_current_interaction_profile")
        if not self.attached:
            raise self._real.ActionsetNotAttachedError()
        hand = self.path_to_string(None, top_level_user_path).rsplit("/", 1)[-1]
        profile = self.bound.get(hand)
        path = self.string_to_path(None, profile).value if profile else self._real.NULL_PATH
        return self._real.InteractionProfileState(interaction_profile=path)


def turn_y(degrees: float) -> tuple[float, float, float, float]:
    """A rotation about OpenXR's +Y (up): turning left, as a quaternion (x, y, z, w)."""
    half = math.radians(degrees) / 2
    return (0.0, math.sin(half), 0.0, math.cos(half))


class FakeBlit:
    def __init__(self, size: tuple[int, int]):
        self.size, self.target, self.detached = size, None, False

    def detach(self) -> None:
        self.detached = True


class FakeGraphics:
    """``GlGraphics`` without GL: the frame loop is tested apart from the copy."""

    def __init__(self) -> None:
        self.blits: list[FakeBlit] = []
        self.images: dict[str, list[int]] = {}

    def extensions(self, offered: set[str]) -> list[str]:
        return ["XR_KHR_opengl_enable"]

    def check_requirements(self, xr: Any, instance: Any, system: Any) -> None:
        pass

    def binding(self, xr: Any, region: Any) -> None:
        return None

    def image_ids(self, xr: Any, swapchain: Any) -> list[int]:
        first = 100 * (len(self.images) + 1)
        self.images[xr.name_of(swapchain)] = ids = [first, first + 1, first + 2]
        return ids

    def attach(self, region: Any, size: tuple[int, int]) -> FakeBlit:
        self.blits.append(FakeBlit(size))
        return self.blits[-1]
