"""Where the widgets' JavaScript comes from: the bundles ``pip install`` builds.

anywidget reads ``_esm`` when a widget class is defined, so a missing bundle
must not break ``import``: the class gets a placeholder module, and creating a
widget raises :class:`BundleMissing` with the way to build it.
"""

from __future__ import annotations

import pathlib

#: ``js/`` is built into this folder (see pyproject.toml's jupyter-builder hook).
STATIC_DIR = pathlib.Path(__file__).resolve().parents[1] / "static"

_PLACEHOLDER_ESM = """
export default {
  render({ el }) { el.textContent = "jupyter_ccmanager: JavaScript bundle missing"; },
};
"""


class BundleMissing(RuntimeError):
    """The widget's bundle was not built (an install without Node.js, or a bare checkout)."""

    def __init__(self, path: pathlib.Path) -> None:
        super().__init__(
            f"jupyter_ccmanager's JavaScript bundle is missing ({path}). Install the package "
            "with `pip install .` (or `pip install -e .`) from the source tree so that the "
            "bundle is built (this needs Node.js and npm), or run `npm install && npm run "
            "build` in js/."
        )


def bundle_path(name: str) -> pathlib.Path:
    return STATIC_DIR / name


def esm(name: str) -> pathlib.Path | str:
    """What a widget class puts in ``_esm``: the bundle, or a placeholder without it."""
    path = bundle_path(name)
    return path if path.is_file() else _PLACEHOLDER_ESM


def require(name: str) -> None:
    """Raise :class:`BundleMissing` unless the bundle ``name`` was built."""
    path = bundle_path(name)
    if not path.is_file():
        raise BundleMissing(path)
