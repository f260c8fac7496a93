// The Agents sidebar: every session (the dashboard's rows, laid out as cards
// by lab.raw.css), waiting ones first and highlighted with what they wait
// for; open / stop / resume / delete (a dirty worktree asks before forcing,
// as on the dashboard); and the dashboard's "New session" form, whose folder
// follows the file browser until the person types one.

import { Widget } from "@lumino/widgets";

import { h } from "../common/dom.js";
import { showNotice, drawSummary } from "../dashboard/dom.js";
import { CreateForm } from "../dashboard/form.js";
import { SessionList } from "../dashboard/list.js";
import { agentsIcon } from "./icon.js";

/** @typedef {import("./model.js").AgentSessions} AgentSessions */

export class AgentsSidebar extends Widget {
  /**
   * @param {object} options
   * @param {AgentSessions} options.sessions
   * @param {(id: string) => void} options.onOpen open a session's tab
   * @param {(id: string) => void} [options.onDiff] open a worktree session's changes in a tab
   * @param {(model: import("../types/session").Session) => void} options.onCreated
   * @param {() => string} options.currentFolder the file browser's folder ("" : the root)
   */
  constructor({ sessions, onOpen, onCreated, currentFolder, onDiff }) {
    super();
    this.id = "jupyter-ccmanager-agents";
    this.addClass("ccmdw");
    this.addClass("ccml-sidebar");
    this.title.icon = agentsIcon;
    this.title.caption = "Agent sessions";
    this.node.setAttribute("data-lm-suppress-shortcuts", "true"); // typing in the form is ours
    this.sessions = sessions;
    this.currentFolder = currentFolder;
    this.cwdTouched = false;

    this.errors = h("div", "ccmdw-errors");
    /** @type {(text: string, err?: unknown) => void} */
    const showError = (text, err) => showNotice(this.errors, text, err, { boxClass: "ccmdw-error" });
    sessions.failed.connect((_, { text, err }) => showError(text, err));

    this.list = new SessionList({
      api: sessions.api,
      onOpen,
      onDeleted: (id) => sessions.store.forget(id),
      onError: showError,
      openButton: true,
      onDiff,
    });
    this.form = new CreateForm(sessions.api, (model) => {
      if (!sessions.get(model.id)) sessions.store.upsert(model);
      this.cwdTouched = false;
      this.followFolder();
      onCreated(model);
    });
    this.form.fields.cwd.addEventListener("input", () => {
      this.cwdTouched = this.form.fields.cwd.value !== "";
    });

    this.summary = h("div", "ccmd-summary");
    const head = h("div", "ccmdw-head");
    head.append(h("h3", "ccmdw-title", "Agents"), this.summary, h("div", "ccmd-spacer"), sessions.liveEl);
    const formBox = h("details", "ccmdw-box ccml-new");
    const summaryLine = h("summary", "ccml-new-title", "New session");
    formBox.append(summaryLine, this.form.el);
    formBox.open = true;
    const listBox = h("div", "ccmdw-box ccml-list");
    listBox.append(this.list.el);
    this.node.append(head, this.errors, formBox, listBox);
    sessions.refreshed.connect(this.draw, this);
    this.draw();
  }

  /** The file browser moved (or the sidebar is shown): its folder, unless the person chose one. */
  followFolder() {
    if (this.cwdTouched) return;
    const folder = this.currentFolder();
    this.form.fields.cwd.value = folder;
    this.form.fields.cwd.placeholder = folder ? "" : "server root (relative paths are inside it)";
  }

  draw() {
    this.list.render(this.sessions.sorted());
    drawSummary(this.summary, this.sessions.store.counts());
  }

  /** @param {import("@lumino/messaging").Message} msg */
  onAfterShow(msg) {
    super.onAfterShow(msg);
    this.followFolder();
  }

  /**
   * Mark the session whose tab is current (null: none).
   * @param {string | null} id
   */
  select(id) {
    this.list.select(id);
  }
}
