"""One block of memory shared between the session's process and the renderer's, or private
to one process (tests, inline frames): what ``FrameShare`` and ``EyeShare`` have in common.

The session's process creates the block and owns it (it unlinks it at the end); the
renderer attaches by name. A subclass says how many bytes it needs (``BYTES``), lays its
numpy views over the buffer (``_views``) and drops them (``_drop_views``), since a shared
buffer cannot close while views of it exist.
"""

from __future__ import annotations

from multiprocessing import shared_memory
from typing import TypeVar

Block = TypeVar("Block", bound="SharedBlock")
Buffer = bytearray | memoryview  # a private block's bytes, or a shared one's


class SharedBlock:
    BYTES = 0

    def __init__(self, buffer: Buffer | None = None, shm: shared_memory.SharedMemory | None = None):
        self._shm = shm
        self._views(buffer if buffer is not None else bytearray(self.BYTES))

    def _views(self, buffer: Buffer) -> None:
        raise NotImplementedError

    def _drop_views(self) -> None:
        raise NotImplementedError

    @classmethod
    def create(cls: type[Block]) -> Block:
        """A new block, zeroed, shared under a fresh name (``name``)."""
        shm = shared_memory.SharedMemory(create=True, size=cls.BYTES)
        buf = shm.buf
        assert buf is not None  # an open block always has its buffer (typeshed allows None)
        buf[: cls.BYTES] = bytes(cls.BYTES)
        return cls(buf, shm)

    @classmethod
    def attach(cls: type[Block], name: str) -> Block:
        """The block ``name`` made by another process, which owns it (and unlinks it)."""
        from multiprocessing import resource_tracker

        shm = shared_memory.SharedMemory(name=name)
        # Python 3.11 registers every attachment with this process's resource tracker, which
        # would unlink the owner's block when this process ends: the owner unlinks it.
        # the name the tracker got (private; typeshed does not list it)
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]  # noqa: SLF001
        return cls(shm.buf, shm)

    @property
    def name(self) -> str | None:
        return self._shm.name if self._shm is not None else None

    def close(self, unlink: bool = False) -> None:
        if self._shm is None:
            return
        shm, self._shm = self._shm, None
        self._drop_views()  # the buffer cannot close while views exist
        shm.close()
        if unlink:
            try:
                shm.unlink()
            except FileNotFoundError:
                pass
