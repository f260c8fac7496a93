"""A bounded byte buffer addressed by absolute offsets.

Every byte a session ever printed has an offset (0 for the first byte). The
buffer keeps the most recent ``capacity`` bytes; a viewer asks for "everything
from offset N" and is told exactly where the data it gets starts, so it can
detect (and report) a gap when N has already left the buffer.

Appending is O(len(chunk)): chunks are kept in a list and old ones are dropped
from the front; small writes are merged into the last chunk so a stream of
one-byte writes does not become a list of one-byte objects.
"""

from __future__ import annotations

from bisect import bisect_right

#: Writes smaller than this are merged into the previous chunk.
_MERGE_BELOW = 64 * 1024


class ReplayBuffer:
    """Keeps the tail of a byte stream, addressed by absolute offsets."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._chunks: list[bytes | bytearray] = []
        self._starts: list[int] = []  # absolute offset of each chunk's first byte
        self._head = 0  # index of the first live chunk (older ones are garbage)
        self._start = 0  # absolute offset of the first byte still buffered
        self._end = 0  # absolute offset one past the last byte

    @property
    def start(self) -> int:
        """Offset of the oldest byte still held."""
        return self._start

    @property
    def end(self) -> int:
        """Offset one past the newest byte (= total bytes ever appended)."""
        return self._end

    def __len__(self) -> int:
        return self._end - self._start

    def restore(self, start: int, data: bytes) -> None:
        """Seed an empty buffer with saved output that began at offset ``start``."""
        if self._end:
            raise ValueError("restore() needs an empty buffer")
        self._start = self._end = start
        self._starts = []
        self._chunks = []
        self.append(data)

    def append(self, data: bytes) -> None:
        """Add ``data`` at the end, dropping the oldest bytes beyond capacity."""
        if not data:
            return
        if len(data) >= self.capacity:
            # Only the last `capacity` bytes can survive: start afresh with them.
            self._end += len(data)
            kept = bytes(data[-self.capacity :])
            self._chunks = [kept]
            self._starts = [self._end - len(kept)]
            self._head = 0
            self._start = self._starts[0]
            return
        last = self._chunks[-1] if len(self._chunks) > self._head else None
        if isinstance(last, bytearray) and len(last) < _MERGE_BELOW:
            last += data
        else:
            self._chunks.append(bytearray(data) if len(data) < _MERGE_BELOW else data)
            self._starts.append(self._end)
        self._end += len(data)
        self._trim()

    def _trim(self) -> None:
        """Drop whole chunks (and finally part of one) beyond capacity."""
        limit = self._end - self.capacity
        if limit <= self._start:
            return
        # Drop chunks that end at or before the limit.
        while self._head < len(self._chunks) - 1 and self._starts[self._head + 1] <= limit:
            self._chunks[self._head] = b""
            self._head += 1
        self._start = max(limit, self._starts[self._head])
        if self._head > 64 and self._head * 2 > len(self._chunks):
            del self._chunks[: self._head]
            del self._starts[: self._head]
            self._head = 0

    def read(self, offset: int, max_bytes: int = 1 << 20) -> tuple[int, bytes]:
        """Return ``(actual_offset, data)`` for bytes from ``offset`` on.

        ``actual_offset`` is greater than ``offset`` when those bytes have
        already been dropped (the caller lost ``actual_offset - offset``
        bytes). At most ``max_bytes`` are returned; an empty result means
        the reader is at the end.
        """
        offset = max(offset, self._start)
        if offset >= self._end:
            return self._end, b""
        index = bisect_right(self._starts, offset, lo=self._head) - 1
        parts: list[bytes] = []
        size = 0
        pos = offset
        while index < len(self._chunks) and size < max_bytes:
            chunk = self._chunks[index]
            begin = pos - self._starts[index]
            piece = chunk[begin : begin + (max_bytes - size)]
            parts.append(bytes(piece))
            size += len(piece)
            pos += len(piece)
            index += 1
        return offset, b"".join(parts)

    def tail(self, max_bytes: int) -> tuple[int, bytes]:
        """The last ``max_bytes`` bytes and their starting offset."""
        return self.read(max(self._start, self._end - max_bytes), max_bytes)
