// The bar above the terminal: session name, state badge, cwd, branch and a
// connection dot. The frame element also gets data-state, so CSS can make a
// session that waits for a person stand out as a whole.

export const STATE_LABELS = {
  starting: "starting",
  idle: "idle",
  busy: "busy",
  waiting: "waiting for you",
  exited: "exited",
  stopped: "stopped",
};

const CONNECTION_LABELS = {
  connecting: "connecting…",
  connected: "connected",
  offline: "disconnected, reconnecting…",
  failed: "not connected",
};

export class StatusBar {
  /** @param {HTMLElement} frame the view's root element (receives data-state) */
  constructor(frame) {
    this.frame = frame;
    this.el = span("ccm-bar", "div");
    this.name = span("ccm-name");
    this.badge = span("ccm-badge");
    this.detail = span("ccm-detail");
    this.cwd = span("ccm-cwd");
    this.branch = span("ccm-branch");
    this.error = span("ccm-error");
    this.conn = span("ccm-conn");
    this.el.append(
      this.name, this.badge, this.detail, this.cwd, this.branch,
      this.error, span("ccm-spacer"), this.conn,
    );
    this.state = "";
    this.exitCode = null;
    this.setState("starting", "");
    this.setConnection("connecting");
  }

  /** Shows a session model (hello, session update). */
  setSession(model) {
    if (!model) return;
    this.name.textContent = model.name || model.id || "";
    this.name.title = [model.name, model.agent && `agent: ${model.agent}`, model.id && `id: ${model.id}`]
      .filter(Boolean)
      .join("\n");
    setText(this.cwd, model.cwd ? shortPath(model.cwd) : "", model.cwd || "");
    const branch = model.branch ? `⎇ ${model.branch}` : "";
    setText(this.branch, branch, model.worktree_path ? `worktree: ${model.worktree_path}` : model.branch || "");
    if (model.exit_code !== undefined) this.exitCode = model.exit_code;
    if (model.state) this.setState(model.state, model.state_detail);
  }

  setState(state, detail) {
    this.state = state || "unknown";
    let label = STATE_LABELS[this.state] || this.state;
    if (this.state === "exited" && typeof this.exitCode === "number") label += ` (${this.exitCode})`;
    this.badge.textContent = label;
    this.badge.dataset.state = this.state;
    this.badge.title = detail ? `${label}: ${detail}` : label;
    setText(this.detail, detail || "", detail || "");
    this.frame.dataset.state = this.state;
  }

  setExitCode(code) {
    this.exitCode = code;
    this.setState("exited", "");
  }

  /** `status`: connecting | connected | offline | failed */
  setConnection(status, detail = "") {
    this.conn.dataset.status = status;
    const label = CONNECTION_LABELS[status] || status;
    this.conn.title = detail ? `${label} (${detail})` : label;
  }

  /** A server error for this view; empty text clears it. */
  setError(text) {
    setText(this.error, text ? `⚠ ${text}` : "", text || "");
  }
}

function span(className, tag = "span") {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

function setText(el, text, title) {
  el.textContent = text;
  el.title = title;
  el.hidden = !text;
}

// "/home/me/src/project/sub" -> "…/project/sub": the end of a path says most.
function shortPath(path) {
  const parts = path.split("/").filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join("/")}` : path;
}
