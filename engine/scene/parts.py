"""The parts some entities carry besides their nodes: a spider swarm, a crowd of people, a
model's animation clip, a text's label, a light's flicker.

Each is a ``Part``: the binding properties it answers for (``props``), and what it does on a
binding, on each frame's ``dt``, once every binding has been set (``settle``) and when the
scene goes (``destroy``). ``EntityNode`` asks its parts first, so an entity type's own
properties never need a branch of their own in the node.
"""

from __future__ import annotations

from typing import Any, Protocol

from engine.scene.text import set_text


class Part(Protocol):
    props: frozenset[str]

    def set(self, prop: str, value: Any) -> None: ...

    def animate(self, dt: float, viewpoint: Any) -> None: ...

    def settle(self) -> None: ...

    def attach(self, viewpoint: Any) -> None: ...

    def destroy(self) -> None: ...


class _Base:
    props: frozenset[str] = frozenset()

    def set(self, prop: str, value: Any) -> None:
        raise AssertionError(f"no setter for {prop}")  # validation lists the same names

    def animate(self, dt: float, viewpoint: Any) -> None:
        pass

    def settle(self) -> None:
        pass

    def attach(self, viewpoint: Any) -> None:
        pass

    def destroy(self) -> None:
        pass


class SwarmPart(_Base):
    """A 'spiders' entity (engine/scene/spiders.py): walked by dt toward the viewpoint."""

    def __init__(self, swarm: Any, props: tuple[str, ...]):
        self.swarm, self.props = swarm, frozenset(props)

    def set(self, prop: str, value: Any) -> None:
        self.swarm.set(prop, value)

    def animate(self, dt: float, viewpoint: Any) -> None:
        self.swarm.update(dt, viewpoint)


class CrowdPart(_Base):
    """A 'people' entity (engine/scene/people.py): heads aim once every binding is set."""

    props = frozenset({"count", "distance", "attention", "restlessness"})

    def __init__(self, crowd: Any):
        self.crowd = crowd

    def set(self, prop: str, value: Any) -> None:
        self.crowd.set(prop, value)

    def animate(self, dt: float, viewpoint: Any) -> None:
        self.crowd.animate(dt)

    def settle(self) -> None:
        self.crowd.settle()

    def attach(self, viewpoint: Any) -> None:
        self.crowd.viewpoint = viewpoint  # heads turn toward it; it is never moved
        self.crowd.settle()


class ClipPart(_Base):
    """A model's animation clip (engine/scene/animated.py): its play rate is bindable."""

    props = frozenset({"animation.speed"})

    def __init__(self, clip: Any):
        self.clip = clip

    def set(self, prop: str, value: Any) -> None:
        self.clip.speed = float(value)

    def animate(self, dt: float, viewpoint: Any) -> None:
        self.clip.advance(dt)

    def destroy(self) -> None:
        self.clip.cleanup()


class TextPart(_Base):
    """A text entity's label: its words are bindable (a floor indicator)."""

    props = frozenset({"text"})

    def __init__(self, label: Any):
        self.label = label

    def set(self, prop: str, value: Any) -> None:
        set_text(self.label, value)


class FlickerPart(_Base):
    """A light's flicker (engine/scene/flicker.py): the light's colour follows it each frame."""

    props = frozenset({"flicker.rate", "flicker.depth"})

    def __init__(self, flicker: Any, recolour: Any):
        self.flicker, self.recolour = flicker, recolour

    def set(self, prop: str, value: Any) -> None:
        self.flicker.set(prop, value)

    def animate(self, dt: float, viewpoint: Any) -> None:
        self.flicker.advance(dt)
        self.recolour()
