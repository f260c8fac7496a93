// Palette and Launcher commands: new session (in the file browser's folder,
// optionally in a git worktree), open, stop, resume, and the sidebar. Without
// an `id`, open/stop/resume ask which session in a list dialog.

import { InputDialog, showErrorMessage } from "@jupyterlab/apputils";

import { describeError } from "../dashboard/api.js";
import { agentsIcon } from "./icon.js";
import { isRunning } from "./model.js";

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("./model.js").AgentSessions} AgentSessions */
/** @typedef {import("@lumino/coreutils").ReadonlyPartialJSONObject} Args */

export const CMD = {
  create: "ccmanager:new",
  createWorktree: "ccmanager:new-worktree",
  open: "ccmanager:open",
  stop: "ccmanager:stop",
  resume: "ccmanager:resume",
  sidebar: "ccmanager:show-sidebar",
};

/**
 * @param {string} what
 * @param {unknown} err
 */
export function showFailure(what, err) {
  const { code, message } = describeError(err);
  return showErrorMessage(what, `${code}: ${message}`);
}

/**
 * @param {object} options
 * @param {import("@lumino/commands").CommandRegistry} options.commands
 * @param {AgentSessions} options.sessions
 * @param {(id: string) => Promise<unknown>} options.open open (or show) a session's tab
 * @param {(model: Session) => void} options.onCreated
 * @param {() => string} options.currentFolder the file browser's folder
 * @param {() => string} options.defaultAgent the setting
 * @param {() => void} options.showSidebar
 */
export function addCommands({ commands, sessions, open, onCreated, currentFolder, defaultAgent, showSidebar }) {
  /**
   * @param {string} title
   * @param {(model: Session) => boolean} which
   * @param {Args} args
   * @returns {Promise<string | null>} the chosen session's id
   */
  async function pick(title, which, args) {
    if (typeof args.id === "string") return args.id;
    await sessions.ready;
    const choices = sessions.sorted().filter(which);
    if (!choices.length) {
      await showErrorMessage(title, "No session to choose from.");
      return null;
    }
    const labels = choices.map((m) => `${m.name} (${m.state})`);
    const result = await InputDialog.getItem({ title, items: labels });
    if (!result.button.accept || result.value === null) return null;
    return choices[labels.indexOf(result.value)]?.id ?? null;
  }

  /** @param {Args} args */
  async function create(args) {
    /** @type {Parameters<AgentSessions["create"]>[0]} */
    const body = { agent: typeof args.agent === "string" ? args.agent : defaultAgent() };
    // The Launcher passes its own folder as `cwd`; the palette gets the file browser's.
    const cwd = typeof args.cwd === "string" ? args.cwd : currentFolder();
    if (cwd) body.cwd = cwd;
    if (typeof args.name === "string" && args.name) body.name = args.name;
    if (args.worktree === true) body.worktree = true;
    try {
      const model = await sessions.create(body);
      onCreated(model);
      return model;
    } catch (err) {
      await showFailure("Could not create the session", err);
      return null;
    }
  }

  commands.addCommand(CMD.create, {
    label: (args) => (args.isLauncher ? "Claude Code" : "New Agent Session"),
    caption: "Start an agent session (Claude Code by default) in the current folder",
    icon: (args) => (args.isPalette ? undefined : agentsIcon),
    execute: (args) => create(args),
  });
  commands.addCommand(CMD.createWorktree, {
    label: "New Agent Session in a Git Worktree",
    caption: "Start an agent session on a new branch in its own git worktree of the current folder's repository",
    execute: (args) => create({ ...args, worktree: true }),
  });
  commands.addCommand(CMD.open, {
    label: "Open Agent Session…",
    execute: async (args) => {
      const id = await pick("Open session", () => true, args);
      return id ? open(id) : null;
    },
  });
  commands.addCommand(CMD.stop, {
    label: "Stop Agent Session…",
    execute: async (args) => {
      const id = await pick("Stop session", isRunning, args);
      if (id) await sessions.api.stop(id).catch((err) => showFailure("Could not stop the session", err));
    },
  });
  commands.addCommand(CMD.resume, {
    label: "Resume Agent Session…",
    execute: async (args) => {
      const id = await pick("Resume session", (m) => !isRunning(m), args);
      if (!id) return;
      try {
        await sessions.api.resume(id);
        await open(id);
      } catch (err) {
        await showFailure("Could not resume the session", err);
      }
    },
  });
  commands.addCommand(CMD.sidebar, {
    label: "Show Agent Sessions",
    execute: () => showSidebar(),
  });
}
