"""The README's quickstart, as a new user runs it: a fresh venv, one ``pip install``.

``pip install <this repository>`` alone must bring JupyterLab, a Python kernel
and the extension (server side, and the Lab extension when the package ships
one). Then the README's Quickstart cells, taken from README.md as written, run
in that venv's kernel against that venv's ``jupyter server``, whose shell starts
under a ``.bashrc`` that sleeps 5 s: the first cell displays the live terminal,
the second prints a screen with the command's answer and the next prompt
(not just the typed command, as when ``idle`` came before the shell was ready).
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat

from tests.helpers.launcher import JupyterServer
from tests.helpers.notebooks import outputs_text
from tests.helpers.paths import REPO
from tests.kernel.test_binder import run
from tests.kernel.test_notebooks import WIDGET_MIME

README = REPO / "README.md"
SLOW_BASHRC = "sleep 5\nPS1='$ '\n"


def quickstart_cells() -> list[str]:
    """The ``python`` code blocks of the README's Quickstart section, in order."""
    text = README.read_text()
    section = text.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```python\n(.*?)```", section, re.S)]


def test_readme_cells_end_with_the_session() -> None:
    """Pasted as written, the first cell shows the terminal: ``s`` is its last line."""
    cells = quickstart_cells()
    assert len(cells) >= 2, cells
    assert cells[0].splitlines()[-1].split("#")[0].strip() == "s"


def pip_cache() -> str:
    """The real user's pip cache (tests run with a throw-away HOME)."""
    return os.environ.get("PIP_CACHE_DIR") or os.path.join(
        pwd.getpwuid(os.getuid()).pw_dir, ".cache", "pip"
    )


def test_fresh_venv_pip_install_then_readme_cells(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    clean["PIP_CACHE_DIR"] = pip_cache()
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check"]
    run([*pip, str(REPO)], cwd=tmp_path, env=clean)  # the README's one command

    env = {k: v for k, v in clean.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_", "HOME"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", SHELL="/bin/bash")
    env.update(JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    jupyter = str(bin_dir / "jupyter")
    assert re.match(r"4\.\d+", run([jupyter, "lab", "--version"], cwd=tmp_path, env=env).stdout)
    servers = run([jupyter, "server", "extension", "list"], cwd=tmp_path, env=env)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", servers.stdout + servers.stderr)
    assert re.search(r"^\s*jupyter_ccmanager enabled$", listing, re.M), listing
    assert re.search(r"^\s*jupyter_ccmanager \S+ OK$", listing, re.M), listing
    labs = run([jupyter, "labextension", "list"], cwd=tmp_path, env=env)
    shipped = list((venv / "share" / "jupyter" / "labextensions").glob("*ccmanager*"))
    if shipped:  # the prebuilt Lab extension, once the package has one
        assert shipped[0].name in labs.stdout + labs.stderr
    specs = run([jupyter, "kernelspec", "list"], cwd=tmp_path, env=env).stdout
    assert "python3" in specs and str(venv) in specs, "the venv's own Python kernel"

    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text(SLOW_BASHRC)
    server = JupyterServer(
        tmp_path / "server", env={**env, "HOME": str(home)}, python=str(bin_dir / "python"),
        cwd=tmp_path,
    ).start()  # fmt: skip
    assert (server.home / ".bashrc").read_text() == SLOW_BASHRC
    try:
        nb = execute_readme(server, bin_dir, tmp_path, env)
        [model] = server.api("GET", "sessions").json()
        history = [h["state"] for h in model["state_history"]]
        assert history[:2] == ["starting", "idle"], history  # never idle before the prompt
    finally:
        server.stop()
    first = nb.cells[0].outputs
    assert any(WIDGET_MIME in out.get("data", {}) for out in first), first
    screen = outputs_text(nb)
    lines = [line.rstrip() for line in screen.splitlines()]
    assert "$ ls -la" in lines, screen
    after = lines[lines.index("$ ls -la") + 1 :]
    assert any(line.startswith("total ") for line in after), screen
    assert any("readme.ipynb" in line for line in after), screen
    assert after and after[-1] == "$", f"the screen ends at the next prompt:\n{screen}"


def execute_readme(
    server: JupyterServer, bin_dir: Path, tmp_path: Path, env: dict[str, Any]
) -> nbformat.NotebookNode:
    """The README cells as a notebook, run by the venv's own nbconvert and kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in quickstart_cells()]
    path = server.root / "readme.ipynb"
    nbformat.write(nb, path)
    kernel_env = {
        **env,
        "HOME": str(server.home),
        "JUPYTER_CCMANAGER_URL": server.url,
        "JUPYTER_CCMANAGER_TOKEN": server.token,
    }
    out_dir = tmp_path / "executed"
    nbconvert = [str(bin_dir / "jupyter"), "nbconvert", "--to", "notebook", "--execute"]
    argv = [*nbconvert, "--ExecutePreprocessor.timeout=120", f"--output-dir={out_dir}", str(path)]
    done = subprocess.run(argv, cwd=server.root, env=kernel_env, capture_output=True, text=True)
    log = server.log_path.read_text(errors="replace")
    assert done.returncode == 0, f"{done.stderr[-4000:]}\n--- server log ---\n{log[-3000:]}"
    return nbformat.read(out_dir / "readme.ipynb", as_version=4)
