"""The browser modules' fixtures.

Playwright's sync API keeps an event loop running in the test's thread while a
browser is open, so pytest-jupyter's per-test loop fixtures (autouse) would
grab and close it. These two switch them off here; browser tests use no
in-process server (they drive subprocess servers from the launcher).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def jp_asyncio_loop() -> None:
    return None


@pytest.fixture
def jp_server_cleanup() -> None:
    return None
