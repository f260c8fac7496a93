"""Agents as data: profiles, Claude's screen rules, transcripts and hooks."""
