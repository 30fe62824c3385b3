"""A session's phase and the controller's mode: plain names shared by the core, the
command handlers, the stages and the console, in a module of their own so none of them
imports another to learn them."""

from enum import Enum


class Phase(str, Enum):
    BASELINE = "baseline"
    EXPOSURE = "exposure"
    RECOVERY = "recovery"
    DONE = "done"


class Mode(str, Enum):
    MANUAL = "manual"
    SUGGEST = "suggest"
    AUTO = "auto"
