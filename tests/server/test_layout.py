"""The package's two sides and its import graph, checked from the source.

``server/`` runs inside jupyter_server; ``client/`` and ``widgets/`` run in a
user's kernel. Neither side imports the other (at module level or inside a
function), no module takes part in an import cycle, and a kernel that does
``import jupyter_ccmanager`` loads no web server code.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers.paths import REPO

PACKAGE = REPO / "jupyter_ccmanager"
KERNEL_SIDE = ("jupyter_ccmanager.client", "jupyter_ccmanager.widgets")
SERVER_SIDE = ("jupyter_ccmanager.server",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every package module ``path`` imports at run time (``TYPE_CHECKING`` blocks excluded)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jupyter_ccmanager"):
            assert node.level == 0, f"{path}: relative import"
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("jupyter_ccmanager")}
    return found


GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def on_side(module: str, side: tuple[str, ...]) -> bool:
    return any(module == s or module.startswith(s + ".") for s in side)


def test_the_sides_never_import_each_other() -> None:
    crossings = [
        f"{mod} imports {dep}"
        for mod, deps in GRAPH.items()
        for dep in deps
        if (on_side(mod, SERVER_SIDE) and on_side(dep, KERNEL_SIDE))
        or (on_side(mod, KERNEL_SIDE) and on_side(dep, SERVER_SIDE))
    ]
    assert crossings == []
    # The check sees imports at all: the server does import its own modules.
    assert "jupyter_ccmanager.server.manager" in GRAPH["jupyter_ccmanager.server.app"]


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycles() -> None:
    assert find_cycles(GRAPH) == []
    # and the finder finds one when there is one
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_importing_the_kernel_api_loads_no_server_code() -> None:
    code = (
        "import sys, jupyter_ccmanager as ccm; ccm.start; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('terminado', 'jupyter_server', 'avt') or m == 'tornado.web' "
        "or m.startswith('jupyter_ccmanager.server')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
