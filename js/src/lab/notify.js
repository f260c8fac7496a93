// JupyterLab notifications (apputils' Notification) when a session starts
// waiting: "feature-x needs you: permission to run Bash", with an "Open"
// action. Exactly one per transition into `waiting` (re-listings and repeated
// events of a waiting session add nothing), and dismissed as soon as the
// session stops waiting or is deleted.

import { Notification } from "@jupyterlab/apputils";

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("./model.js").AgentSessions} AgentSessions */
/** @typedef {import("./model.js").Change} Change */

/**
 * What a waiting session waits for, in words.
 * @param {Session} model
 */
export function waitingMessage(model) {
  const pending = /** @type {{tool?: string} | null | undefined} */ (model.pending);
  let what = model.state_detail || "input";
  if (what === "permission" && pending?.tool) what = `permission to run ${pending.tool}`;
  return `${model.name || model.id} needs you: ${what}`;
}

export class WaitingNotifier {
  /**
   * @param {AgentSessions} sessions
   * @param {(id: string) => void} onOpen the notification's "Open" action
   */
  constructor(sessions, onOpen) {
    this.onOpen = onOpen;
    this.enabled = true; // the "notifications" setting
    /** @type {Map<string, string>} session id -> notification id */
    this.shown = new Map();
    this.count = 0; // notifications raised so far (tests and debugging)
    sessions.changed.connect(this._onChange, this);
  }

  /**
   * @param {AgentSessions} _sender
   * @param {Change} change
   */
  _onChange(_sender, { id, model, before }) {
    const waiting = model?.state === "waiting";
    if (!waiting) {
      this._dismiss(id);
      return;
    }
    // Only a transition: a session already waiting when the page loaded was
    // announced then (or the person saw it in the sidebar), not on every listing.
    if (!before || before.state === "waiting" || !this.enabled) return;
    this._dismiss(id);
    this.count += 1;
    const note = Notification.warning(waitingMessage(model), {
      autoClose: false,
      actions: [
        {
          label: "Open",
          caption: "Open the session in a tab",
          callback: () => this.onOpen(id),
        },
      ],
    });
    this.shown.set(id, note);
  }

  /** @param {string} id */
  _dismiss(id) {
    const note = this.shown.get(id);
    if (note === undefined) return;
    this.shown.delete(id);
    Notification.dismiss(note);
  }
}
