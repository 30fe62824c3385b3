"""vrex engine: scenarios, the Panda3D scene runner, sessions and the command line."""

__version__ = "0.1.0"
