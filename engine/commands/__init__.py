"""One module per ``vrex`` subcommand; each has ``add_parser(subparsers)`` and ``run(args)``.

A new one is listed in ``engine.cli.COMMANDS`` with its help line; it is imported only when
its command is chosen, so its imports cost nothing to ``vrex --help`` or other commands.
"""

from pathlib import Path

import scenarios


def scenario_argument(value: str) -> Path:
    """A scenario path, or the name of a built-in scenario ('heights', 'spiders', 'claustrophobia',
    'public_speaking')."""
    path = Path(value)
    if not path.exists() and "/" not in value and not value.endswith((".yaml", ".yml")):
        builtin = scenarios.builtin(value)
        if builtin.exists():
            return builtin
    return path
