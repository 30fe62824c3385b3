"""Seeded or scripted stand-ins shared by the adaptation tests."""


class FakeClock:
    """A clock the test advances by hand (``clock.now += 0.3``)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
