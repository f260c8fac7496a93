// How session facts read on screen, the same in the terminal's status bar and
// the dashboard's rows. Pure functions: no DOM.

/** @type {Record<string, string>} */
export const STATE_LABELS = {
  starting: "starting",
  idle: "idle",
  busy: "busy",
  waiting: "waiting for you",
  exited: "exited",
  stopped: "stopped",
  deleted: "deleted",
};

/**
 * A state's badge text, in the words of someone who did not read the code: a
 * stopped session is "stopped" whatever signal ended it, an exited one says
 * how it ended only when that was not a plain exit.
 * @param {string} state
 * @param {number | null | undefined} exitCode
 */
export function stateLabel(state, exitCode) {
  const label = STATE_LABELS[state] || state;
  if (state !== "exited" || typeof exitCode !== "number" || exitCode === 0) return label;
  return exitCode > 0 ? `${label} (code ${exitCode})` : `killed (signal ${-exitCode})`;
}

/**
 * The line a terminal view writes when its session's process ends.
 * @param {string | undefined} reason "stopped", "deleted" or "exited" (the server's exit message)
 * @param {number | null | undefined} exitCode
 */
export function endNotice(reason, exitCode) {
  if (reason === "stopped") return "[session stopped; resume it to continue]";
  if (reason === "deleted") return "[session deleted]";
  if (typeof exitCode !== "number" || exitCode === 0) return "[process exited]";
  return exitCode > 0 ? `[process exited with code ${exitCode}]` : `[process killed by signal ${-exitCode}]`;
}

/**
 * What the bar says when a view was given the server's screen because the output
 * it asked for has left the replay buffer (or the server restarted).
 * @param {boolean} [restarted]
 */
export function droppedNotice(restarted) {
  const why = restarted ? "the server restarted" : "earlier output is no longer kept";
  return `[${why}: showing the current screen]`;
}

/**
 * "/home/me/src/project/sub" -> "…/project/sub": the end of a path says most.
 * @param {string} path
 */
export function shortPath(path) {
  const parts = path.split("/").filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join("/")}` : path;
}

/**
 * "just now", "5 min ago"...: how long ago, for an age of `ms` milliseconds.
 * @param {number} ms
 */
export function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/**
 * A byte count for people: "512 bytes", "1.5 KiB", "2.0 MiB".
 * @param {number} n
 */
export function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
