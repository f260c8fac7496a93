"""The demo notebooks in notebooks/: what their outputs must show, and reading those outputs.

The notebook tests execute them against a demo-mode server, the Binder test in a
fresh Binder-like environment; both check the same expectations.
"""

from __future__ import annotations

import nbformat

from tests.helpers.paths import REPO

NOTEBOOK_DIR = REPO / "notebooks"
DEMO_REPLY = "Demo mode (no Anthropic API): you said: "

#: Text each notebook's outputs must contain when run in demo mode.
EXPECTED = {
    "quickstart": [
        "DEMO MODE",
        DEMO_REPLY + "In one sentence: what is a git worktree?",
        "hello from a real terminal",
        "after stop: stopped",
        "after resume: idle",
        # the stand-in answers from the whole (resumed) conversation, as Claude would
        "your previous question was: In one sentence: what is a git worktree?",
        "sessions left: []",
    ],
    "parallel": [
        "DEMO MODE",
        "Initial commit",
        *(f"worker-{i}: branch feature/worker-{i}, folder .worktrees/worker-{i}" for i in "123"),
        "3 prompts answered in",
        DEMO_REPLY + "Add type hints to app.py",
        DEMO_REPLY + "Write a test for greet() in test_app.py",
        DEMO_REPLY + "Add a usage section to README.md",
        "Open the dashboard page",
        "sessions left: []",
    ],
    "automation": [
        "DEMO MODE",
        "| Summarise what a Jupyter server extension is. | idle | "
        + DEMO_REPLY
        + "Summarise what a Jupyter server extension is. |",
        DEMO_REPLY + "What does `git worktree add -b feature/x path` do?",
        # the stand-in turns "run: <command>" into a Bash call: a real permission prompt
        "state: waiting permission",
        "Do you want to proceed?",
        "hello from Claude Code",
        "answering: permission",
        "the tool returned: (Bash completed with no output)",
        "sessions left: []",
    ],
    "review": [
        "DEMO MODE",
        "reviewer-1: branch feature/reviewer-1 from main, policy ['Bash(git status:*)']",
        "asked: reviewer-1: Bash: echo 'Hello from reviewer-1' > hello.txt -> approved",
        "asked: reviewer-2: Bash: echo 'print(6 * 7)' > answer.py -> approved",
        "asked: reviewer-3: Bash: rm README.md -> denied",
        "A hello.txt  +1 -0",
        "1 file(s), +1 -0",
        "merged reviewer-1 into main (squash)",
        "merged reviewer-2 into main (merge)",
        "Add hello.txt (reviewer-1)",
        "main has: ['README.md', 'answer.py', 'hello.txt']",
        "reviewer-3 left nothing to merge: True",
        "sessions left: []",
    ],
}


def outputs_text(nb: nbformat.NotebookNode) -> str:
    """Every stream and text/* output of the executed notebook, in order.

    A kernel may send one printed line in several stream messages (a flush
    between ``print`` calls of one cell, or in the middle of a long write), and
    nbclient keeps them as separate outputs: consecutive stream outputs of the
    same name are joined as they were written, not on new lines.
    """
    parts: list[str] = []
    last_stream = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                if last_stream == out.name and parts:
                    parts[-1] += out.text
                else:
                    parts.append(out.text)
                last_stream = out.name
                continue
            last_stream = None
            if out.output_type in ("execute_result", "display_data"):
                parts += [str(v) for k, v in out.data.items() if k.startswith("text/")]
        last_stream = None
    return "\n".join(parts)
