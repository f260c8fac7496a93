""":class:`ReviewMixin`: reviewing and taking a worktree session's work from the kernel.

``s.diff()``, ``s.commit(message)``, ``s.merge(strategy=...)`` (and their
``a``-prefixed coroutine twins) over ``GET diff``, ``POST commit`` and
``POST merge``; refusals raise the typed errors of :mod:`jupyter_ccmanager.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_ccmanager.client.diff import Diff
from jupyter_ccmanager.client.transport import Call, Client, Plan

__all__ = ["ReviewMixin"]


class ReviewMixin:
    """The review methods of :class:`~jupyter_ccmanager.client.session.Session`."""

    if TYPE_CHECKING:
        _client: Client

        def _path(self, *more: str) -> tuple[str, ...]: ...
        def _remember(self, model: Any) -> None: ...
        def _p_post(
            self, action: str, body: Any = None, timeout: float | None = None
        ) -> Plan[Any]: ...

    def _p_diff(self) -> Plan[Diff]:
        return Diff((yield Call("GET", self._path("diff"), {"format": "json"})).json())

    def _p_commit(self, message: str) -> Plan[str]:
        result = yield from self._p_post("commit", {"message": message})
        self._remember(result.get("session"))
        return str(result["commit"])

    def _p_merge(
        self, strategy: str, into: str | None, commit: bool, message: str | None
    ) -> Plan[dict[str, Any]]:
        body = {"strategy": strategy, "into": into, "commit": commit, "message": message}
        result: dict[str, Any] = yield from self._p_post(
            "merge", {k: v for k, v in body.items() if v is not None}
        )
        self._remember(result.get("session"))
        return result

    def diff(self) -> Diff:
        """What the session changed since its worktree's base commit, uncommitted and
        untracked files included. Displays as a coloured diff; ``.files``, ``.patch``.
        Raises :class:`NotAWorktree` for a session without a worktree."""
        return self._client.run(self._p_diff())

    async def adiff(self) -> Diff:
        """Coroutine twin of :meth:`diff`."""
        return await self._client.arun(self._p_diff())

    def commit(self, message: str) -> str:
        """Commit everything in the worktree (new files too); the new commit id.
        Raises :class:`NothingToCommit` when there is nothing."""
        return self._client.run(self._p_commit(message))

    async def acommit(self, message: str) -> str:
        """Coroutine twin of :meth:`commit`."""
        return await self._client.arun(self._p_commit(message))

    def merge(
        self,
        strategy: str = "merge",
        into: str | None = None,
        commit: bool = False,
        message: str | None = None,
    ) -> dict[str, Any]:
        """Merge (``"merge"``, ``"squash"`` or ``"rebase"``) the session's work into ``into``
        (default: the branch its worktree came from); returns ``{commit, previous, into, ...}``.

        ``commit=True`` commits uncommitted work first (else :class:`WorktreeDirty`).
        :class:`MergeConflict` (with ``.files``) and :class:`TargetDirty` change nothing.
        """
        return self._client.run(self._p_merge(strategy, into, commit, message))

    async def amerge(
        self,
        strategy: str = "merge",
        into: str | None = None,
        commit: bool = False,
        message: str | None = None,
    ) -> dict[str, Any]:
        """Coroutine twin of :meth:`merge`."""
        return await self._client.arun(self._p_merge(strategy, into, commit, message))
