"""Durable sessions: the SQLite store, its off-path writer, and restore after a restart."""
