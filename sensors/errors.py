"""Errors from ``sensors/`` that a user can fix (a missing stream, a bad recording).

``sensors`` never imports ``engine``, so this is its own root; the CLI catches it beside
``engine.errors.VrexError`` and prints it in one line.

    SensorError
    ├── StreamNotFound      a wanted stream is not on the network (lists what was found)
    ├── StreamFormatError   wrong channel count or format, unconvertible unit, bad rate
    └── RecordingError      a file that is not a recording, or is truncated
"""


class SensorError(Exception):
    """Bad input from a stream or a recording; the message names it and says what to do."""


class StreamNotFound(SensorError):
    pass


class StreamFormatError(SensorError):
    pass


class RecordingError(SensorError):
    pass
