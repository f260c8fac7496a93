"""Code the tests (and benchmarks) share; fixtures stay in ``conftest.py``.

- :mod:`~tests.helpers.paths`: the repository, artifacts, test data, Chromium.
- :mod:`~tests.helpers.require`: prerequisites (skip locally, fail under CI).
- :mod:`~tests.helpers.launcher`: the one ``jupyter server``/``jupyter lab`` subprocess launcher.
- :mod:`~tests.helpers.waiting`: waiting for conditions (never fixed sleeps).
- :mod:`~tests.helpers.api`: the REST API of the in-process server.
- :mod:`~tests.helpers.ws`: WebSocket viewers (and one that never reads).
- :mod:`~tests.helpers.commands`: commands sessions run; git for worktree tests.
- :mod:`~tests.helpers.browser`: JupyterLab pages in Chromium.
- :mod:`~tests.helpers.notebooks`: what the demo notebooks must print; reading outputs.
- :mod:`~tests.helpers.openapi`: the server extension that checks responses against the spec.
"""
