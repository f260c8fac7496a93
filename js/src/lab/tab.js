// A session as a main-area tab: the widget's TerminalView over the session
// WebSocket (the same offset replay, ack flow control, replay guard, resize
// policy and shortcut suppression as the notebook widget and the dashboard).
// The title says the name and the state and follows both live.

import { Widget } from "@lumino/widgets";

import { stateLabel } from "../common/format.js";
import { TerminalView } from "../terminal/view.js";
import { WebSocketTransport } from "../transport/connection.js";
import { sessionSocketUrl } from "../transport/pageconfig.js";
import { agentsIcon } from "./icon.js";

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("./model.js").AgentSessions} AgentSessions */
/** @typedef {import("./model.js").Change} Change */

export class SessionTab extends Widget {
  /**
   * @param {AgentSessions} sessions
   * @param {string} sessionId
   */
  constructor(sessions, sessionId) {
    super();
    this.sessions = sessions;
    this.sessionId = sessionId;
    this.id = `ccm-session-${sessionId}`;
    this.addClass("ccml-tab");
    this.title.icon = agentsIcon;
    this.title.closable = true;
    /** @type {TerminalView | null} */
    this.view = null;
    this.sessions.changed.connect(this._onChange, this);
    this._retitle(sessions.get(sessionId));
  }

  /** @param {import("@lumino/messaging").Message} msg */
  onAfterAttach(msg) {
    super.onAfterAttach(msg);
    if (this.view) return;
    // Created once the node is in the document, so xterm.js can measure its font.
    const server = this.sessions.server;
    const id = this.sessionId;
    const transport = new WebSocketTransport((offset, stream) => sessionSocketUrl(server, id, offset, stream));
    this.view = new TerminalView(this.node, { transport, session: this.sessions.get(id) || { id } });
  }

  /** @param {import("@lumino/messaging").Message} msg */
  onAfterShow(msg) {
    super.onAfterShow(msg);
    this.view?.fit(); // a tab brought to the front may have been resized while hidden
  }

  /** @param {import("@lumino/messaging").Message} msg */
  onActivateRequest(msg) {
    super.onActivateRequest(msg);
    this.view?.focus();
  }

  dispose() {
    if (this.isDisposed) return;
    this.sessions.changed.disconnect(this._onChange, this);
    this.view?.dispose();
    this.view = null;
    super.dispose();
  }

  /**
   * @param {AgentSessions} _sender
   * @param {Change} change
   */
  _onChange(_sender, change) {
    if (change.id !== this.sessionId) return;
    if (change.model) this._retitle(change.model);
    else this.dispose(); // deleted: nothing left to show
  }

  /** @param {Session | null} model */
  _retitle(model) {
    const name = model?.name || this.sessionId;
    const state = model ? stateLabel(model.state, model.exit_code) : "";
    this.title.label = state ? `${name} · ${state}` : name;
    this.title.caption = model ? `${name}: ${state}${model.cwd ? `\n${model.cwd}` : ""}` : name;
    this.title.className = model ? `ccml-tab-title ccml-state-${model.state}` : "ccml-tab-title";
    this.node.dataset.state = model?.state || "";
  }
}
