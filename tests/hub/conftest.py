"""The hub tests drive Chromium through playwright's sync API: the same loop-fixture
overrides as the browser tests (see ``tests/browser/conftest.py``)."""

from tests.browser.conftest import jp_asyncio_loop, jp_server_cleanup

__all__ = ["jp_asyncio_loop", "jp_server_cleanup"]
