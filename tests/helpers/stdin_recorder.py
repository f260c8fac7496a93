"""A session program that records every byte it reads (to a file) and asks terminal queries.

Run as ``python stdin_recorder.py RECORD``: it puts its terminal in raw mode (so
answers arrive as typed, unechoed), prints ``recorder ready``, then appends all it
reads to RECORD. Ctrl-Q (``\\x11``) makes it ask :data:`QUERIES` and print
``asked N`` (N counts the rounds), so a test decides when queries appear in the output.
"""

from __future__ import annotations

import os
import sys
import tty

#: A cursor position report, primary device attributes and the background colour.
QUERIES = b"\x1b[6n\x1b[c\x1b]11;?\x1b\\"
ASK = b"\x11"


def main(record: str) -> None:
    tty.setraw(0)
    os.write(1, b"recorder ready\r\n")
    rounds = 0
    with open(record, "ab", buffering=0) as out:
        while data := os.read(0, 4096):
            out.write(data)
            for _ in range(data.count(ASK)):
                rounds += 1
                os.write(1, QUERIES + f"asked {rounds}\r\n".encode())


if __name__ == "__main__":
    main(sys.argv[1])
