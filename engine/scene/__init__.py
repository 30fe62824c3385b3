"""The Panda3D scene built from a scenario, and what drives it frame by frame."""

from engine.scene.scene import Scene

__all__ = ["Scene"]
