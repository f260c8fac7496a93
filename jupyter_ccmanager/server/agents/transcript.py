"""Reading a Claude Code conversation transcript (JSONL) for prompt replies.

Checked against claude 2.1.x (docs/claude-cli-notes.md): a typed prompt is a
``user`` line whose ``message.content`` is a string and which carries
``origin`` or ``promptSource``; the reply is the text of the last
``assistant`` line with text before the next prompt (tool calls and their
results come in between).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path


def transcript_path(config_dir: str, cwd: str, conversation_id: str) -> Path:
    """Where the CLI writes a conversation: ``<config>/projects/<cwd mangled>/<id>.jsonl``."""
    mangled = re.sub(r"[^A-Za-z0-9]", "-", cwd)
    return Path(config_dir) / "projects" / mangled / f"{conversation_id}.jsonl"


def config_dir(env: dict[str, str]) -> str:
    """The CLI's config folder for a process with this environment."""
    if env.get("CLAUDE_CONFIG_DIR"):
        return env["CLAUDE_CONFIG_DIR"]
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".claude")


def last_reply(path: str | Path, prompt: str | None = None) -> str | None:
    """The assistant's final text for ``prompt`` (default: the newest prompt).

    ``None`` when the file or the prompt is missing, or there is no text reply
    yet (still busy, or interrupted before any text).
    """
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    turns: list[tuple[str, str | None]] = []  # (prompt, reply)
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line being written right now
        if not isinstance(entry, dict) or entry.get("isSidechain") or entry.get("isMeta"):
            continue
        content = (entry.get("message") or {}).get("content")
        if entry.get("type") == "user" and isinstance(content, str):
            if entry.get("origin") or entry.get("promptSource"):
                turns.append((content, None))
        elif entry.get("type") == "assistant" and turns and isinstance(content, list):
            blocks = [b for b in content if isinstance(b, dict) and b.get("type") == "text"]
            text = "".join(b.get("text", "") for b in blocks)
            if text:
                turns[-1] = (turns[-1][0], text)
    for typed, reply in reversed(turns):
        if prompt is None or typed.strip() == prompt.strip():
            return reply
    return None
