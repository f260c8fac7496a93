"""Binder: the environment that binder/ describes runs the quickstart notebook.

repo2docker installs ``binder/requirements.txt`` from the repository root and
then runs ``binder/postBuild``. This test does the same on this machine: a
fresh venv gets ``pip install -r binder/requirements.txt`` (building the
package and its JavaScript), postBuild's ``npm install -g`` goes to a
throw-away npm prefix (``npm_config_prefix``) instead of the system, and a
`jupyter server` from that venv, with no Anthropic credentials and demo mode
left at its default ``auto``, serves the quickstart notebook, executed by that
venv's own nbconvert and kernel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests

from tests.helpers.launcher import JupyterServer
from tests.helpers.notebooks import EXPECTED, outputs_text
from tests.helpers.paths import LOCAL_CLAUDE, REPO
from tests.helpers.require import require

BINDER = REPO / "binder"
README = REPO / "README.md"
BADGE = "https://mybinder.org/v2/gh/"
QUICKSTART_URLPATH = "?urlpath=lab/tree/notebooks/quickstart.ipynb"


def requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def test_binder_files() -> None:
    reqs = requirements()
    assert "." in reqs, "requirements.txt must install this repository"
    for name in ("jupyterlab", "ipykernel"):
        assert any(r.startswith(name) for r in reqs), f"{name} missing from requirements.txt"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text, "repo2docker ignores errors in postBuild without set -e"
    assert "npm install -g" in text and "@anthropic-ai/claude-code" in text
    subprocess.run(["bash", "-n", str(post)], check=True)


def test_readme_has_binder_badge() -> None:
    text = README.read_text()
    assert BADGE in text and QUICKSTART_URLPATH in text
    assert "badge_logo.svg" in text


def run(argv: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run a step; on failure show its output (pip and npm explain themselves)."""
    done = subprocess.run(argv, capture_output=True, text=True, **kw)
    output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{output}"
    return done


@pytest.mark.claude
def test_fresh_binder_environment_runs_the_quickstart(tmp_path: Path) -> None:
    require(shutil.which("npm") is not None, "npm (Node.js)")
    timings: dict[str, float] = {}
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    base_path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != LOCAL_CLAUDE
    )

    # 1. requirements.txt, from the root of a clean clone like repo2docker (so
    # nothing built or untracked in this checkout helps: the hatch build hook
    # runs npm and builds the widget bundles and the Lab extension itself)
    t0 = time.monotonic()
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)])
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check"]
    run([*pip, "-r", str(clone / "binder" / "requirements.txt")], cwd=clone, env=clean)
    timings["pip install -r binder/requirements.txt"] = time.monotonic() - t0

    # 1b. the prebuilt JupyterLab extension came with it: enabled and OK, no rebuild
    listed = run([str(bin_dir / "jupyter"), "labextension", "list"], cwd=tmp_path, env=clean)
    text = listed.stdout + listed.stderr
    lines = [line for line in text.splitlines() if "jupyter-ccmanager" in line]
    assert len(lines) == 1, text
    assert "enabled" in lines[0] and "OK" in lines[0] and "jupyter_ccmanager" in lines[0], lines
    shared = venv / "share" / "jupyter" / "labextensions" / "jupyter-ccmanager"
    assert (shared / "install.json").is_file() and (shared / "schemas").is_dir()

    # 2. postBuild, with `npm install -g` going to a private prefix
    t0 = time.monotonic()
    npm_prefix = tmp_path / "npm-global"
    path = os.pathsep.join([str(npm_prefix / "bin"), str(bin_dir), base_path])
    npm_env = {**clean, "npm_config_prefix": str(npm_prefix), "PATH": path}
    run(["bash", str(clone / "binder" / "postBuild")], cwd=clone, env=npm_env)
    assert shutil.which("claude", path=path) == str(npm_prefix / "bin" / "claude")
    timings["postBuild"] = time.monotonic() - t0

    # 3. a Binder-like server: this venv, no credentials, demo_mode left at "auto".
    # It starts away from the source tree (`python -m` puts the cwd first on
    # sys.path), so the server and the kernel import the installed package.
    env = {k: v for k, v in clean.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    home = tmp_path / "home"
    home.mkdir()
    env.update(PATH=path, HOME=str(home), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    python = str(bin_dir / "python")
    where = run([python, "-c", "import jupyter_ccmanager as m; print(m.__file__)"],
                cwd=tmp_path, env=env)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    specs = run([str(bin_dir / "jupyter"), "kernelspec", "list", "--json"], cwd=tmp_path, env=env)
    python3 = json.loads(specs.stdout)["kernelspecs"]["python3"]
    assert Path(python3["resource_dir"]).is_relative_to(venv), python3

    t0 = time.monotonic()
    server = JupyterServer(tmp_path / "server", env=env, python=python, cwd=tmp_path).start()
    try:
        # JupyterLab's page loads the extension (its federated entry) with no further step.
        lab_page = requests.get(f"{server.url}lab", headers=server.headers, timeout=60)
        assert lab_page.status_code == 200, lab_page.status_code
        listed_in_page = re.search(r'"name":\s*"jupyter-ccmanager"', lab_page.text)
        assert listed_in_page, "the extension is not in JupyterLab's page config"
        folder = server.root / "notebooks"
        folder.mkdir()
        shutil.copy(REPO / "notebooks" / "quickstart.ipynb", folder)
        kernel_env = {
            **env,
            "JUPYTER_CCMANAGER_URL": server.url,
            "JUPYTER_CCMANAGER_TOKEN": server.token,
        }
        out_dir = tmp_path / "executed"
        nbconvert = [str(bin_dir / "jupyter"), "nbconvert", "--to", "notebook", "--execute"]
        argv = [*nbconvert, "--ExecutePreprocessor.timeout=180", "--output-dir", str(out_dir),
                str(folder / "quickstart.ipynb")]  # fmt: skip
        done = subprocess.run(argv, cwd=folder, env=kernel_env, capture_output=True, text=True)
        log = server.log_path.read_text(errors="replace")
        assert done.returncode == 0, f"{done.stderr[-4000:]}\n--- server log ---\n{log[-3000:]}"
        assert "DEMO MODE" in log, "demo_mode=auto did not turn demo mode on without a key"
        assert server.api("GET", "sessions").json() == [], "the quickstart left sessions behind"
    finally:
        server.stop()
    timings["server + quickstart"] = time.monotonic() - t0

    text = outputs_text(nbformat.read(out_dir / "quickstart.ipynb", as_version=4))
    missing = [want for want in EXPECTED["quickstart"] if want not in text]
    assert not missing, f"missing {missing} in outputs:\n{text[-4000:]}"
    print("; ".join(f"{k}: {v:.0f} s" for k, v in timings.items()))
