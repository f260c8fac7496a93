// A worktree session's changes as a main-area tab: the dashboard's review
// panel (diff2html file list and hunks, Commit, Merge) in a Lumino widget,
// kept current from the sessions model (a commit or merge elsewhere reloads it).

import { Widget } from "@lumino/widgets";

import { DiffPanel } from "../dashboard/diffview.js";
import { agentsIcon } from "./icon.js";

/** @typedef {import("./model.js").AgentSessions} AgentSessions */
/** @typedef {import("./model.js").Change} Change */

export class DiffTab extends Widget {
  /**
   * @param {AgentSessions} sessions
   * @param {string} sessionId
   */
  constructor(sessions, sessionId) {
    super();
    this.sessions = sessions;
    this.sessionId = sessionId;
    this.id = `ccm-diff-${sessionId}`;
    this.addClass("ccmdw");
    this.addClass("ccml-diff-tab");
    this.title.icon = agentsIcon;
    this.title.closable = true;
    const model = sessions.get(sessionId);
    this.title.label = `Changes · ${model?.name || sessionId}`;
    this.panel = new DiffPanel(sessions.api, () => this.close());
    this.node.append(this.panel.el);
    if (model) this.panel.open(model);
    this.sessions.changed.connect(this._onChange, this);
  }

  dispose() {
    if (this.isDisposed) return;
    this.sessions.changed.disconnect(this._onChange, this);
    this.panel.close();
    super.dispose();
  }

  /**
   * @param {AgentSessions} _sender
   * @param {Change} change
   */
  _onChange(_sender, change) {
    if (change.id !== this.sessionId) return;
    if (change.model) this.panel.update(change.model);
    else this.dispose(); // deleted
  }
}
