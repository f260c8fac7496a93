"""One log: every module logger of the package writes through the server's log."""

from __future__ import annotations

import logging
from typing import Any

from tests.helpers.api import Api


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_module_loggers_reach_the_server_log(api: Api, jp_serverapp: Any) -> None:
    collect = Collect()
    jp_serverapp.log.addHandler(collect)
    try:
        # A real module logger of the server side (the store writer's), as the code uses it.
        logging.getLogger("jupyter_ccmanager.server.store.writer").warning("ccm-log-probe")
        # And a message the server itself logs while serving a request.
        model = await api.create(command=["true"], name="logged")
    finally:
        jp_serverapp.log.removeHandler(collect)
    messages = [r.getMessage() for r in collect.records]
    assert "ccm-log-probe" in messages
    assert any("started session logged" in m for m in messages)
    await api.call("DELETE", "sessions", model["id"])
