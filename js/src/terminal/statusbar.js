// The bar above the terminal: session name, state badge, cwd, branch and a
// connection dot. The frame element also gets data-state, so CSS can make a
// session that waits for a person stand out as a whole.

import { h, setText } from "../common/dom.js";
import { shortPath, stateLabel } from "../common/format.js";

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("../types/session").ConnectionStatus} ConnectionStatus */

/** @type {Record<ConnectionStatus, string>} */
const CONNECTION_LABELS = {
  connecting: "connecting…",
  connected: "connected",
  offline: "disconnected, reconnecting…",
  failed: "not connected",
  ended: "connected; the session has ended",
};

/** States in which no process runs: the dot is not green then, whatever the socket does. */
const ENDED = new Set(["stopped", "exited", "deleted"]);

export class StatusBar {
  /** @param {HTMLElement} frame the view's root element (receives data-state) */
  constructor(frame) {
    this.frame = frame;
    this.el = h("div", "ccm-bar");
    this.name = h("span", "ccm-name");
    this.badge = h("span", "ccm-badge");
    this.detail = h("span", "ccm-detail");
    this.cwd = h("span", "ccm-cwd");
    this.branch = h("span", "ccm-branch");
    this.error = h("span", "ccm-error");
    this.notice = h("span", "ccm-notice");
    this.conn = h("span", "ccm-conn");
    this.el.append(
      this.name, this.badge, this.detail, this.cwd, this.branch,
      this.error, this.notice, h("span", "ccm-spacer"), this.conn,
    );
    this.state = "";
    /** @type {number | null | undefined} */
    this.exitCode = null;
    /** @type {ConnectionStatus} */
    this.connection = "connecting";
    this.connDetail = "";
    this.setState("starting", "");
    this.setConnection("connecting");
  }

  /**
   * Shows a session model (hello, session update).
   * @param {Partial<Session> | undefined} model
   */
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

  /**
   * @param {string} state
   * @param {string} [detail] the model's state_detail (e.g. what it waits for)
   */
  setState(state, detail) {
    this.state = state || "unknown";
    const label = stateLabel(this.state, this.exitCode);
    this.badge.textContent = label;
    this.badge.dataset.state = this.state;
    this.badge.title = detail ? `${label}: ${detail}` : label;
    setText(this.detail, detail || "");
    this.frame.dataset.state = this.state;
    this._drawConnection();
  }

  /**
   * The process ended (the server's exit message): show the state it ended in.
   * @param {string | undefined} reason "stopped", "deleted" or "exited"
   * @param {number | null} code
   */
  setEnded(reason, code) {
    this.exitCode = code;
    this.setState(reason === "deleted" ? "deleted" : reason === "stopped" ? "stopped" : "exited", "");
  }

  /**
   * @param {ConnectionStatus} status
   * @param {string} [detail] why, e.g. the close reason
   */
  setConnection(status, detail = "") {
    this.connection = status;
    this.connDetail = detail;
    this._drawConnection();
  }

  _drawConnection() {
    const ended = this.connection === "connected" && ENDED.has(this.state);
    const status = ended ? "ended" : this.connection;
    this.conn.dataset.status = status;
    const label = CONNECTION_LABELS[status] || status;
    this.conn.title = this.connDetail ? `${label} (${this.connDetail})` : label;
  }

  /**
   * A server error for this view; empty text clears it.
   * @param {string} text
   */
  setError(text) {
    setText(this.error, text ? `⚠ ${text}` : "", text || "");
  }

  /**
   * A note about what the terminal shows (e.g. that earlier output is gone); it
   * lives in the bar because a line written into the terminal would spoil a
   * full-screen program's picture. Empty text clears it.
   * @param {string} text
   */
  setNotice(text) {
    setText(this.notice, text, text);
  }
}
