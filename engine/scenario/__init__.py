"""Scenario files: the YAML format, its validation and the validated ``ScenarioSpec``."""

from engine.scenario.errors import Problem, ScenarioError
from engine.scenario.loader import load_scenario
from engine.scenario.spec import Binding, Entity, Level, ScenarioSpec

__all__ = ["Binding", "Entity", "Level", "Problem", "ScenarioError", "ScenarioSpec", "load_scenario"]
