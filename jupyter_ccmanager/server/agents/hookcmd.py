"""The command Claude Code runs for each hook: forward its JSON to the extension.

Run by path (``python hookcmd.py``), not as ``-m``, so it imports nothing of
this package and starts fast. The URL and the per-session secret come from
the environment the extension gave the CLI (never from the command line,
which other local users can read in ``ps``). It always exits 0: a manager
that is down must never disturb the agent.
"""

import contextlib
import os
import sys
import urllib.request


def main() -> int:
    url = os.environ.get("CCM_HOOK_URL")
    secret = os.environ.get("CCM_HOOK_SECRET")
    if not url or not secret:
        return 0
    body = sys.stdin.buffer.read(1 << 20)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-CCM-Hook-Secret": secret},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with contextlib.suppress(Exception):
        opener.open(request, timeout=3).read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
