"""Who sets a session's PTY size when several viewers watch it.

A PTY has one size; every viewer has a box of its own. If each viewer's
(re)connect, reload or window resize set the size, an idle tab in another
window would clip the terminal someone is typing in. So the viewer that last
*typed* (or explicitly took control, ``resize`` with ``"take": true``) owns the
size: only its requests apply. Other viewers' requests are remembered (a
viewer that starts typing gets its own size back at once) and not applied; they
show the terminal at the PTY's size inside their box. While nobody owns the
size (no one has typed yet, or the owner left), any viewer's request applies,
so the first viewer of a session fits it to its window.
"""

from __future__ import annotations

from collections.abc import Callable

from jupyter_ccmanager.server import validation as v


class SizeOwnership:
    """The size owner of one session and what every viewer asked for."""

    def __init__(self, apply: Callable[[int, int], None]) -> None:
        self._apply = apply  # resizes the PTY (and tells every viewer)
        self.owner: object | None = None
        self._wanted: dict[object, tuple[int, int]] = {}

    def request(self, viewer: object, cols: int, rows: int, take: bool = False) -> bool:
        """A viewer's box changed (or it takes control): True when the PTY now has its size."""
        v.check_size(cols, rows)
        self._wanted[viewer] = (cols, rows)
        if take:
            self.owner = viewer
        if self.owner is not None and self.owner is not viewer:
            return False
        self._apply(cols, rows)
        return True

    def typed(self, viewer: object) -> None:
        """The person at ``viewer`` typed: it owns the size now, and gets its own back."""
        self.owner = viewer
        size = self._wanted.get(viewer)
        if size is not None:
            self._apply(*size)

    def forget(self, viewer: object) -> None:
        """A viewer left; when it owned the size, nobody does now."""
        self._wanted.pop(viewer, None)
        if self.owner is viewer:
            self.owner = None
