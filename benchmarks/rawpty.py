"""The raw PTY ceiling: a bare reader on a PTY running the same command.

No server, no WebSocket, no decoding: ``os.read(fd, 65536)`` until EOF. This is
as fast as terminal output can leave a PTY on this machine, the ceiling for
any server that streams a PTY.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time

from .server import SHELL


def raw_pty_run(command: str) -> tuple[float, int]:
    """Run ``command`` in :data:`SHELL` on a fresh PTY; (seconds to EOF, bytes read)."""
    master, slave = os.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*SHELL, "-c", command],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    total = 0
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError as err:  # EIO: the last writer closed the PTY
                if err.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            total += len(data)
    finally:
        os.close(master)
    elapsed = time.perf_counter() - start
    proc.wait()
    return elapsed, total


def output_bytes(command: str) -> int:
    """Bytes ``command`` writes to stdout (measured through a pipe, not a PTY)."""
    out = subprocess.run(
        [*SHELL, "-c", f"{command} | wc -c"], capture_output=True, check=True, text=True
    )
    return int(out.stdout.strip())
