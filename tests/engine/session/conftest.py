"""Session-layer constants; the ``uid`` and ``closing`` fixtures are in tests/conftest.py."""

RESOLVE_S = 15.0  # generous: a loaded 2-core CI machine
