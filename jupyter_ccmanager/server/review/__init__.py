"""Reviewing and taking a worktree session's work: diff, commit, merge (all git, all async)."""
