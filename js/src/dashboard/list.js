// The session table: one SessionRow per session, kept in store order
// (waiting sessions on top), a click or Enter on a row opens its terminal.
// Stop / resume / delete go through the API; the list itself changes only
// when the server says so (events, a re-list, a 204 for a delete), never
// optimistically.

import { ApiError } from "./api.js";
import { SessionRow } from "./row.js";

/** @typedef {import("../types/session").Session} Session */

const HEADERS = ["State", "Session", "Viewers", "Last activity", ""];

export class SessionList {
  /**
   * @param {object} options
   * @param {import("./api.js").Api} options.api
   * @param {(id: string) => void} options.onOpen open a session's terminal
   * @param {(id: string) => void} options.onDeleted the server confirmed a deletion
   * @param {(text: string, err?: unknown) => void} options.onError show a failure
   * @param {boolean} [options.openButton] rows get an "Open" button (see SessionRow)
   * @param {(id: string) => void} [options.onDiff] open a worktree session's diff
   */
  constructor({ api, onOpen, onDeleted, onError, openButton = false, onDiff }) {
    this.api = api;
    this.openButton = openButton;
    this.onOpen = onOpen;
    this.onDiff = onDiff || (() => {});
    this.canDiff = Boolean(onDiff); // the notebook's dashboard widget has no diff panel
    this.onDeleted = onDeleted;
    this.onError = onError;
    /** @type {Map<string, SessionRow>} */
    this.rows = new Map();
    /** @type {string | null} */
    this.selected = null;

    this.el = document.createElement("div");
    this.el.className = "ccmd-list";
    this.table = document.createElement("table");
    this.table.className = "ccmd-table";
    const head = this.table.createTHead().insertRow();
    for (const text of HEADERS) {
      const th = document.createElement("th");
      th.textContent = text;
      head.append(th);
    }
    this.body = this.table.createTBody();
    this.empty = document.createElement("div");
    this.empty.className = "ccmd-empty";
    this.empty.textContent = "No sessions yet. Start one with “New session”.";
    this.el.append(this.table, this.empty);

    // Events inside the table body come from its elements.
    this.body.addEventListener("click", (ev) => {
      const target = /** @type {Element} */ (ev.target);
      const tr = /** @type {HTMLTableRowElement | null} */ (target.closest("tr.ccmd-row"));
      if (tr && !target.closest("button")) this.onOpen(tr.dataset.id || "");
    });
    this.body.addEventListener("keydown", (ev) => {
      const target = /** @type {HTMLElement} */ (ev.target);
      if (ev.key !== "Enter" || target.tagName !== "TR") return;
      ev.preventDefault();
      this.onOpen(target.dataset.id || "");
    });
  }

  /**
   * Draw `models` (already sorted): update rows in place, add, drop, reorder.
   * @param {Session[]} models
   */
  render(models) {
    const keep = new Set(models.map((m) => m.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.detach();
        this.rows.delete(id);
      }
    }
    /** @type {ChildNode | null} */
    let prev = null;
    for (const model of models) {
      let row = this.rows.get(model.id);
      if (!row) {
        row = new SessionRow(model, (action, r, key) => this._act(action, r, key), {
          openButton: this.openButton,
        });
        if (!this.canDiff) row.buttons.diff.remove();
        this.rows.set(model.id, row);
      } else if (row.model !== model) {
        row.update(model);
      }
      row.el.classList.toggle("is-open", model.id === this.selected);
      // Move only rows that are out of place, so focus and hover survive updates.
      /** @type {ChildNode | null} */
      const want = prev ? prev.nextSibling : this.body.firstChild;
      if (want !== row.el) this.body.insertBefore(row.el, want);
      prev = row.el;
      if (row.pending) {
        if (row.el.nextSibling !== row.pendingRow) row.el.after(row.pendingRow);
        prev = row.pendingRow;
      }
      if (row.confirmRow.isConnected) {
        if (prev.nextSibling !== row.confirmRow) prev.after(row.confirmRow);
        prev = row.confirmRow;
      }
    }
    this.table.hidden = models.length === 0;
    this.empty.hidden = models.length > 0;
  }

  /**
   * Mark the session whose terminal is open (null: none).
   * @param {string | null} id
   */
  select(id) {
    this.selected = id;
    for (const [rid, row] of this.rows) row.el.classList.toggle("is-open", rid === id);
  }

  /** Refresh relative times. */
  tick() {
    for (const row of this.rows.values()) row.tick();
  }

  /**
   * @param {string} action open | stop | resume | delete | diff | answer
   * @param {SessionRow} row
   * @param {string} [key] the option an answer chose
   */
  async _act(action, row, key) {
    const name = row.model.name || row.id;
    if (action === "open") {
      this.onOpen(row.id);
      return;
    }
    if (action === "diff") {
      this.onDiff(row.id);
      return;
    }
    if (action === "answer") {
      try {
        await this.api.answer(row.id, { choice: key || "", serial: row.pending?.serial });
      } catch (err) {
        this.onError(`Could not answer ${name}`, err);
        row.pendingKey = ""; // draw the buttons again (enabled)
        row.showPending(row.model.state === "waiting" ? /** @type {any} */ (row.model.pending) : null);
      }
      return;
    }
    if (action === "delete") {
      const where = row.model.worktree_path ? " and remove its worktree (the branch stays)" : "";
      row.confirm(`Delete ${name}${where}?`, "Delete", () => this._delete(row, false));
      return;
    }
    row.setBusy(action);
    try {
      if (action === "stop") await this.api.stop(row.id);
      else if (action === "resume") await this.api.resume(row.id);
    } catch (err) {
      this.onError(`Could not ${action} ${name}`, err);
    } finally {
      row.setBusy("");
    }
  }

  /**
   * @param {SessionRow} row
   * @param {boolean} force also with uncommitted changes in its worktree
   */
  async _delete(row, force) {
    const name = row.model.name || row.id;
    row.setBusy("delete");
    try {
      await this.api.remove(row.id, force);
    } catch (err) {
      row.setBusy("");
      if (err instanceof ApiError && err.code === "WORKTREE_DIRTY" && !force) {
        row.confirm(`${err.message}`, "Delete anyway", () => this._delete(row, true));
        return;
      }
      this.onError(`Could not delete ${name}`, err);
      return;
    }
    row.setBusy("");
    this.onDeleted(row.id); // 204: gone, even if the event socket is down right now
  }
}
