// One session as a table row: state badge (the widget's colours), name with
// agent, folder and branch under it, viewers, last activity, action buttons.
// Rows are updated in place, so a live update never steals a hover or focus.

import { h, setText } from "../common/dom.js";
import { ago, shortPath, stateLabel } from "../common/format.js";

/** @typedef {import("../types/session").Session} Session */

const RUNNING = new Set(["starting", "idle", "busy", "waiting"]);

export class SessionRow {
  /**
   * @param {Session} model
   * @param {(action: string, row: SessionRow, key?: string) => void} onAction open | stop |
   *   resume | delete | diff | answer (with the option's key)
   * @param {{openButton?: boolean}} [options] openButton: an explicit "Open" button (the
   *   JupyterLab sidebar, where a row click is easy to miss)
   */
  constructor(model, onAction, { openButton = false } = {}) {
    this.id = model.id;
    this.onAction = onAction;
    this.busyAction = ""; // an action in flight: its button shows progress
    this.el = h("tr", "ccmd-row");
    this.el.tabIndex = 0;
    this.el.dataset.id = model.id;

    this.badge = h("span", "ccm-badge ccmd-badge");
    this.detail = h("span", "ccmd-detail");
    this.name = h("span", "ccmd-name");
    this.agent = h("span", "ccmd-agent");
    this.cwd = h("span", "ccmd-cwd");
    this.branch = h("span", "ccmd-branch");
    this.clients = h("td", "ccmd-clients");
    this.activity = h("td", "ccmd-activity");
    this.actions = h("td", "ccmd-actions");
    /** @type {Record<string, HTMLButtonElement>} */
    this.buttons = {
      ...(openButton ? { open: button("Open", "", "Open its terminal in a tab", "open") } : {}),
      stop: button("Stop", "", "Stop the process (it can be resumed)", "stop"),
      resume: button("Resume", "", "Start it again (claude: same conversation)", "resume"),
      diff: button("Diff", "", "Review the worktree's changes: diff, commit, merge", "diff"),
      delete: button("Delete", "danger", "Stop it and forget it", "delete"),
    };
    for (const [action, btn] of Object.entries(this.buttons)) {
      btn.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.onAction(action, this);
      });
    }
    this.actions.append(...Object.values(this.buttons));
    // What a waiting agent asks, with one button per answer, in a row of its own.
    this.pendingRow = h("tr", "ccmd-pending-row");
    this.pendingRow.dataset.for = model.id;
    const pendingCell = h("td", "ccmd-pending-cell");
    pendingCell.colSpan = 5;
    this.pendingBox = h("div", "ccmd-pending"); // a flex box inside: a flex td loses its colspan
    pendingCell.append(this.pendingBox);
    this.pendingRow.append(pendingCell);
    this.pendingRow.addEventListener("click", (ev) => ev.stopPropagation());
    this.pendingKey = ""; // what the box shows now, so updates redraw only on change
    // Questions about this session ("Delete it?") get a full-width row of their
    // own under it, so a long server message never squeezes the table.
    this.confirmRow = h("tr", "ccmd-confirm-row");
    this.confirmRow.dataset.for = model.id;
    this.confirmBox = h("td", "ccmd-confirm");
    this.confirmBox.colSpan = 5;
    this.confirmRow.append(this.confirmBox);
    this.confirmRow.addEventListener("click", (ev) => ev.stopPropagation()); // not a row click

    const meta = h("span", "ccmd-meta");
    meta.append(this.agent, this.cwd, this.branch);
    this.el.append(
      cell("ccmd-state", this.badge, this.detail),
      cell("ccmd-who", this.name, meta),
      this.clients,
      this.activity,
      this.actions,
    );
    this.model = model; // update() keeps it current
    this.update(model);
  }

  /** @param {Session} model */
  update(model) {
    this.model = model;
    const state = model.state || "unknown";
    this.badge.textContent = stateLabel(state, model.exit_code);
    this.badge.dataset.state = state;
    this.el.dataset.state = state;
    setText(this.detail, model.state_detail || "");
    this.name.textContent = model.name || model.id;
    this.name.title = `id: ${model.id}`;
    this.agent.textContent = model.agent === "command" ? (model.command || [])[0] || "command" : model.agent || "";
    setText(this.cwd, shortPath(model.cwd || ""), model.cwd || "");
    setText(this.branch, model.branch ? `⎇ ${model.branch}` : "", model.worktree_path || "");
    const n = model.clients || 0;
    this.clients.textContent = String(n);
    this.clients.title = `${n} viewer${n === 1 ? "" : "s"} attached`;
    this.clients.classList.toggle("zero", n === 0);
    this.tick();
    this.syncButtons();
    this.showPending(model.state === "waiting" ? /** @type {any} */ (model.pending) : null);
  }

  /**
   * Draw the pending question (null: none): its message, the tool's command, a button per option.
   * @param {{kind: string, tool?: string | null, input?: any, message?: string | null,
   *   options: {key: string, label: string}[], serial: number} | null} pending
   */
  showPending(pending) {
    const key = pending ? JSON.stringify(pending) : "";
    if (key === this.pendingKey) return;
    this.pendingKey = key;
    this.pending = pending;
    if (!pending) {
      this.pendingRow.remove();
      this.pendingBox.replaceChildren();
      return;
    }
    const question = h("span", "ccmd-pending-q", pending.message || `The agent asks (${pending.kind})`);
    const parts = [question];
    const command = pending.input && (pending.input.command || pending.input.file_path || pending.input.url);
    if (pending.tool || command) {
      parts.push(h("code", "ccmd-pending-cmd", `${pending.tool || ""}${command ? `: ${command}` : ""}`));
    }
    const choices = h("span", "ccmd-pending-options");
    for (const option of pending.options || []) {
      const btn = button(option.label, option.key === "no" ? "danger" : "solid", "", "answer");
      btn.dataset.key = option.key;
      btn.addEventListener("click", (ev) => {
        ev.stopPropagation();
        for (const b of choices.querySelectorAll("button")) /** @type {HTMLButtonElement} */ (b).disabled = true;
        this.onAction("answer", this, option.key);
      });
      choices.append(btn);
    }
    parts.push(choices);
    this.pendingBox.replaceChildren(...parts);
    if (this.el.isConnected && !this.pendingRow.isConnected) this.el.after(this.pendingRow);
  }

  /** Refresh the relative "last activity" time. */
  tick() {
    const at = Date.parse(this.model.last_activity || this.model.created_at || "");
    this.activity.textContent = Number.isFinite(at) ? ago(Date.now() - at) : "";
    this.activity.title = Number.isFinite(at) ? new Date(at).toLocaleString() : "";
  }

  /**
   * Show that `action` is under way (its button disabled with a progress label).
   * @param {string} action "": none
   */
  setBusy(action) {
    this.busyAction = action;
    this.syncButtons();
  }

  syncButtons() {
    const running = RUNNING.has(this.model.state);
    const { stop, resume, diff } = this.buttons;
    stop.hidden = !running;
    resume.hidden = running;
    diff.hidden = !this.model.worktree_path;
    for (const [action, btn] of Object.entries(this.buttons)) {
      btn.disabled = Boolean(this.busyAction);
      btn.textContent = this.busyAction === action ? PROGRESS[action] : btn.dataset.label ?? "";
    }
  }

  /**
   * Ask inline (no modal): `text`, then `okLabel` runs `onOk`; Cancel puts the buttons back.
   * @param {string} text
   * @param {string} okLabel
   * @param {() => void} onOk
   */
  confirm(text, okLabel, onOk) {
    const ok = button(okLabel, "danger solid", "", "confirm");
    const cancel = button("Cancel", "", "", "cancel");
    const msg = h("span", "ccmd-confirm-text");
    msg.textContent = text;
    this.confirmBox.replaceChildren(msg, ok, cancel);
    this.el.after(this.confirmRow);
    this.el.classList.add("is-asking");
    const done = () => {
      this.confirmRow.remove();
      this.confirmBox.replaceChildren();
      this.el.classList.remove("is-asking");
    };
    ok.addEventListener("click", (ev) => {
      ev.stopPropagation();
      done();
      onOk();
    });
    cancel.addEventListener("click", (ev) => {
      ev.stopPropagation();
      done();
      this.buttons.delete.focus();
    });
    ok.focus();
  }

  /** Take this row (and its open question, if any) out of the table. */
  detach() {
    this.el.remove();
    this.confirmRow.remove();
    this.pendingRow.remove();
  }
}

/** @type {Record<string, string>} */
const PROGRESS = { stop: "Stopping…", resume: "Resuming…", delete: "Deleting…", diff: "Diff" };

/**
 * @param {string} className
 * @param {HTMLElement[]} children
 */
function cell(className, ...children) {
  const td = h("td", className);
  td.append(...children);
  return td;
}

/**
 * @param {string} label
 * @param {string} classes besides ccmd-btn
 * @param {string} title "": none
 * @param {string} [action] data-action, for tests
 */
function button(label, classes, title, action = "") {
  const btn = h("button", `ccmd-btn ${classes}`.trim());
  btn.type = "button";
  btn.textContent = label;
  btn.dataset.label = label;
  if (action) btn.dataset.action = action;
  if (title) btn.title = title;
  return btn;
}
