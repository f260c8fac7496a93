// One session as a table row: state badge (the widget's colours), name with
// agent, folder and branch under it, viewers, last activity, action buttons.
// Rows are updated in place, so a live update never steals a hover or focus.

import { STATE_LABELS } from "./statusbar.js";
const RUNNING = new Set(["starting", "idle", "busy", "waiting"]);

export class SessionRow {
  /** @param {(action: string, row: SessionRow) => void} onAction stop | resume | delete */
  constructor(model, onAction) {
    this.id = model.id;
    this.onAction = onAction;
    this.busyAction = ""; // an action in flight: its button shows progress
    this.el = el("tr", "ccmd-row");
    this.el.tabIndex = 0;
    this.el.dataset.id = model.id;

    this.badge = el("span", "ccm-badge ccmd-badge");
    this.detail = el("span", "ccmd-detail");
    this.name = el("span", "ccmd-name");
    this.agent = el("span", "ccmd-agent");
    this.cwd = el("span", "ccmd-cwd");
    this.branch = el("span", "ccmd-branch");
    this.clients = el("td", "ccmd-clients");
    this.activity = el("td", "ccmd-activity");
    this.actions = el("td", "ccmd-actions");
    this.buttons = {
      stop: button("Stop", "", "Stop the process (it can be resumed)", "stop"),
      resume: button("Resume", "", "Start it again (claude: same conversation)", "resume"),
      delete: button("Delete", "danger", "Stop it and forget it", "delete"),
    };
    for (const [action, btn] of Object.entries(this.buttons)) {
      btn.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.onAction(action, this);
      });
    }
    this.actions.append(this.buttons.stop, this.buttons.resume, this.buttons.delete);
    // Questions about this session ("Delete it?") get a full-width row of their
    // own under it, so a long server message never squeezes the table.
    this.confirmRow = el("tr", "ccmd-confirm-row");
    this.confirmRow.dataset.for = model.id;
    this.confirmBox = el("td", "ccmd-confirm");
    this.confirmBox.colSpan = 5;
    this.confirmRow.append(this.confirmBox);
    this.confirmRow.addEventListener("click", (ev) => ev.stopPropagation()); // not a row click

    const meta = el("span", "ccmd-meta");
    meta.append(this.agent, this.cwd, this.branch);
    this.el.append(
      cell("ccmd-state", this.badge, this.detail),
      cell("ccmd-who", this.name, meta),
      this.clients,
      this.activity,
      this.actions,
    );
    this.update(model);
  }

  update(model) {
    this.model = model;
    const state = model.state || "unknown";
    let label = STATE_LABELS[state] || state;
    if (state === "exited" && typeof model.exit_code === "number") label += ` (${model.exit_code})`;
    this.badge.textContent = label;
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
  }

  /** Refresh the relative "last activity" time. */
  tick() {
    const at = Date.parse(this.model.last_activity || this.model.created_at || "");
    this.activity.textContent = Number.isFinite(at) ? ago(Date.now() - at) : "";
    this.activity.title = Number.isFinite(at) ? new Date(at).toLocaleString() : "";
  }

  /** Show that `action` is under way (its button disabled with a progress label). */
  setBusy(action) {
    this.busyAction = action;
    this.syncButtons();
  }

  syncButtons() {
    const running = RUNNING.has(this.model.state);
    const { stop, resume } = this.buttons;
    stop.hidden = !running;
    resume.hidden = running;
    for (const [action, btn] of Object.entries(this.buttons)) {
      btn.disabled = Boolean(this.busyAction);
      btn.textContent = this.busyAction === action ? PROGRESS[action] : btn.dataset.label;
    }
  }

  /** Ask inline (no modal): `text`, then `okLabel` runs `onOk`; Cancel puts the buttons back. */
  confirm(text, okLabel, onOk) {
    const ok = button(okLabel, "danger solid", "", "confirm");
    const cancel = button("Cancel", "", "", "cancel");
    const msg = el("span", "ccmd-confirm-text");
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
  }
}

const PROGRESS = { stop: "Stopping…", resume: "Resuming…", delete: "Deleting…" };

function el(tag, className) {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

function cell(className, ...children) {
  const td = el("td", className);
  td.append(...children);
  return td;
}

function button(label, classes, title, action = "") {
  const btn = el("button", `ccmd-btn ${classes}`.trim());
  btn.type = "button";
  btn.textContent = label;
  btn.dataset.label = label;
  if (action) btn.dataset.action = action;
  if (title) btn.title = title;
  return btn;
}

function setText(node, text, title = text) {
  node.textContent = text;
  node.title = title;
  node.hidden = !text;
}

// "/home/me/src/project/sub" -> "…/project/sub": the end of a path says most.
export function shortPath(path) {
  const parts = path.split("/").filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join("/")}` : path;
}

export function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
