"""The demo notebooks in notebooks/, executed cell by cell against a real server.

A `jupyter server` subprocess runs in demo mode (claude sessions answered by
the built-in stand-in API) with copies of the notebooks in its root folder;
nbclient runs each notebook in a fresh kernel that finds that server through
JUPYTER_CCMANAGER_URL / JUPYTER_CCMANAGER_TOKEN, with the notebook's folder as
its working directory, as JupyterLab would. Every cell must run without error,
the outputs must show the demo replies, and each notebook must clean up after
itself: no session and no file left behind.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.helpers.launcher import JupyterServer
from tests.helpers.notebooks import EXPECTED, NOTEBOOK_DIR, outputs_text
from tests.helpers.paths import ARTIFACTS
from tests.helpers.require import require_claude

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: Notebooks whose first claude session is displayed as a live terminal widget.
SHOWS_WIDGET = {"quickstart", "automation", "parallel"}


def mime_types(nb: nbformat.NotebookNode) -> set[str]:
    return {
        mime for cell in nb.cells for out in cell.get("outputs", []) for mime in out.get("data", {})
    }


def kernel_env(server: JupyterServer) -> dict[str, str]:
    """The kernel's environment: it finds the server like a kernel the server started."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["JUPYTER_CCMANAGER_URL"] = server.url
    env["JUPYTER_CCMANAGER_TOKEN"] = server.token
    return env


def execute(path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    """Run every cell in a fresh python3 kernel whose cwd is the notebook's folder.

    The executed copy is kept in test-artifacts/notebooks/ for people to read.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute(env=env)
    finally:
        out = ARTIFACTS / "notebooks"
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out / path.name)
    return nb


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_claude()
    tmp = tmp_path_factory.mktemp("notebooks")
    args = ("--CCManagerApp.demo_mode=on", "--CCSessionManager.stop_timeout=2")
    with JupyterServer(tmp, *args) as server:
        folder = server.root / "notebooks"
        folder.mkdir()
        for path in NOTEBOOKS:
            shutil.copy(path, folder)
        yield server


@pytest.fixture
def server(demo_server: JupyterServer) -> Iterator[JupyterServer]:
    """The shared server; sessions a failed notebook left behind are removed afterwards."""
    yield demo_server
    for model in demo_server.api("GET", "sessions").json():
        demo_server.api("DELETE", f"sessions/{model['id']}", params={"force": "1"})


def test_every_expected_notebook_exists() -> None:
    assert {p.stem for p in NOTEBOOKS} >= set(EXPECTED), "a demo notebook is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_is_clean(path: Path) -> None:
    """Outputs cleared, valid nbformat, says what demo mode is, cleans up at the end."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "demo mode" in prose.lower()
    assert ".delete(" in code[-1].source, "the last cell must delete the sessions it started"


@pytest.mark.claude
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_demo_mode(path: Path, server: JupyterServer) -> None:
    folder = server.root / "notebooks"
    before = {p.name for p in folder.iterdir()}
    started = time.monotonic()
    try:
        nb = execute(folder / path.name, kernel_env(server))
    except Exception as e:
        log = server.log_path.read_text(errors="replace")[-3000:]
        pytest.fail(f"{path.name} failed: {e}\n--- server log (tail) ---\n{log}")
    took = time.monotonic() - started
    text = outputs_text(nb)
    missing = [want for want in EXPECTED.get(path.stem, []) if want not in text]
    assert not missing, f"{path.name}: missing {missing} in outputs:\n{text[-4000:]}"
    if path.stem in SHOWS_WIDGET:
        assert WIDGET_MIME in mime_types(nb), "no live terminal widget was displayed"

    # It cleaned up: no session left, no file left (the demo repository, greeting.txt...).
    left = server.api("GET", "sessions").json()
    assert left == [], f"{path.name} left sessions behind: {[m['name'] for m in left]}"
    assert {p.name for p in folder.iterdir()} == before, f"{path.name} left files behind"
    print(f"{path.name}: {took:.1f} s")
