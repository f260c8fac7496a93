// A section of JupyterLab's Running panel for agent sessions: their names and
// states (not the truncated `terminals/ccm_…` entries of Lab's terminal
// section), a click opens the session's tab, the shut-down button stops it
// (resumably, as the sidebar's Stop does).

import { Signal } from "@lumino/signaling";

import { stateLabel } from "../common/format.js";
import { agentsIcon } from "./icon.js";
import { isRunning } from "./model.js";

/** @typedef {import("./model.js").AgentSessions} AgentSessions */
/** @typedef {import("@jupyterlab/running").IRunningSessions.IManager} IManager */
/** @typedef {import("@jupyterlab/running").IRunningSessions.IRunningItem} IRunningItem */

/**
 * @param {AgentSessions} sessions
 * @param {(id: string) => void} open
 * @param {(text: string, err: unknown) => void} onError
 * @returns {IManager}
 */
export function runningManager(sessions, open, onError) {
  /** @type {Signal<AgentSessions, void>} */
  const runningChanged = new Signal(sessions);
  sessions.refreshed.connect(() => runningChanged.emit());
  /** @param {string} id */
  const stop = (id) => sessions.api.stop(id).catch((err) => onError("Could not stop the session", err));
  return {
    name: "Agent sessions",
    supportsMultipleViews: false,
    running: () =>
      sessions
        .sorted()
        .filter(isRunning)
        .map(
          (model) =>
            /** @type {IRunningItem} */ ({
              className: `ccml-running-item ccml-state-${model.state}`,
              icon: () => agentsIcon,
              label: () => model.name || model.id,
              labelTitle: () => `${model.name}: ${model.agent} in ${model.cwd}${model.branch ? ` (${model.branch})` : ""}`,
              detail: () => stateLabel(model.state, model.exit_code) + (model.state_detail ? `: ${model.state_detail}` : ""),
              open: () => open(model.id),
              shutdown: () => stop(model.id),
            }),
        ),
    shutdownAll: () => {
      for (const model of sessions.sorted()) if (isRunning(model)) stop(model.id);
    },
    refreshRunning: () => {
      sessions.relist();
    },
    runningChanged,
    shutdownLabel: "Stop",
    shutdownAllLabel: "Stop All",
    shutdownAllConfirmationText: "Stop all running agent sessions? They can be resumed later.",
  };
}
