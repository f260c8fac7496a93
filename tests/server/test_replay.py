"""The replay buffer against a plain bytearray model of the whole stream."""

from __future__ import annotations

import random

import pytest

from jupyter_ccmanager.server.replay import ReplayBuffer


@pytest.mark.parametrize("seed", range(20))
def test_replay_matches_model(seed: int) -> None:
    rng = random.Random(seed)
    capacity = rng.choice([1, 7, 1000, 65536, 300_000])
    buf = ReplayBuffer(capacity)
    stream = bytearray()
    for _ in range(200):
        size = rng.choice([1, 3, 100, 5000, 70_000, 400_000])
        chunk = rng.randbytes(size)
        buf.append(chunk)
        stream += chunk
        assert buf.end == len(stream)
        assert buf.start == max(0, len(stream) - capacity)
        assert len(buf) == buf.end - buf.start
        offset = rng.randint(0, len(stream))
        start, data = buf.read(offset, rng.choice([1, 4096, 1 << 30]))
        assert start == max(offset, buf.start)
        assert data == bytes(stream[start : start + len(data)])
        if start < len(stream):
            assert data, "a reader inside the buffer always gets bytes"


def test_read_reports_dropped_bytes() -> None:
    buf = ReplayBuffer(10)
    buf.append(b"0123456789")
    buf.append(b"abcde")
    start, data = buf.read(0)
    assert (start, data) == (5, b"56789abcde")
    assert buf.read(15) == (15, b"")
    assert buf.read(99) == (15, b"")
    assert buf.tail(3) == (12, b"cde")


def test_small_writes_are_merged() -> None:
    buf = ReplayBuffer(1 << 20)
    for _ in range(10_000):
        buf.append(b"x")
    assert len(buf._chunks) == 1
    assert buf.read(0) == (0, b"x" * 10_000)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ReplayBuffer(0)
