// The status bar's "2 waiting": hidden while nobody waits; a click opens the
// Agents sidebar, where the waiting sessions are on top.

import { Signal } from "@lumino/signaling";
import { Widget } from "@lumino/widgets";

import { agentsIcon } from "./icon.js";

/** @typedef {import("./model.js").AgentSessions} AgentSessions */

export class WaitingStatus extends Widget {
  /**
   * @param {AgentSessions} sessions
   * @param {() => void} onClick
   */
  constructor(sessions, onClick) {
    super();
    this.addClass("ccml-status");
    this.addClass("jp-mod-highlighted");
    this.node.title = "Agent sessions waiting for you (click: the Agents sidebar)";
    this.count = 0;
    /** @type {Signal<WaitingStatus, void>} the status bar re-asks isActive() on it */
    this.activeChanged = new Signal(this);
    const icon = document.createElement("span");
    agentsIcon.element({ container: icon, tag: "span", elementPosition: "center", height: "14px" });
    this.text = document.createElement("span");
    this.text.className = "ccml-status-text";
    this.node.append(icon, this.text);
    this.node.addEventListener("click", onClick);
    this.sessions = sessions;
    sessions.refreshed.connect(this.refresh, this);
    this.refresh();
  }

  refresh() {
    const n = this.sessions.waitingCount();
    this.text.textContent = `${n} waiting`;
    this.node.dataset.count = String(n);
    if ((n > 0) !== (this.count > 0)) {
      this.count = n;
      this.activeChanged.emit();
    }
    this.count = n;
  }
}
