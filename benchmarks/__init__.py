"""Side-by-side benchmarks: jupyter_ccmanager's WebSocket vs jupyter_server_terminals.

Run ``python -m benchmarks`` (``--smoke`` for a quick check that everything
works, ``--runs N``, ``--only GROUP``, ``--out FILE``). Every group starts real
``jupyter server`` subprocesses with both extensions and drives the same shell
work through both protocols in the same run; see ``__main__.py``.
"""
