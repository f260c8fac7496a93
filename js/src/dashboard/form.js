// "New session": agent, name, working folder, optional git worktree. The
// server validates everything; its `{code, message}` answer is shown as is,
// because it already says what to do (e.g. how to install the claude CLI).

import { h } from "../common/dom.js";
import { describeError } from "./api.js";

/**
 * The form's named controls (the markup below).
 * @typedef {object} Fields
 * @property {HTMLSelectElement} agent
 * @property {HTMLInputElement} name
 * @property {HTMLInputElement} cwd
 * @property {HTMLInputElement} worktree
 */

const AGENTS = [
  ["claude", "Claude Code"],
  ["shell", "Shell"],
];
const LAST_AGENT_KEY = "jupyter-ccmanager.dashboard.agent";

export class CreateForm {
  /**
   * @param {import("./api.js").Api} api
   * @param {(model: import("../types/session").Session) => void} onCreated
   * @param {{compact?: boolean}} [options] compact: agent and name only (the
   *   folder is the server's root, no worktree), for the notebook widget
   */
  constructor(api, onCreated, { compact = false } = {}) {
    this.api = api;
    this.onCreated = onCreated;
    this.el = document.createElement("form");
    this.el.className = "ccmd-form";
    this.el.noValidate = true; // the server's messages are better than the browser's
    this.el.innerHTML = `
      <label class="ccmd-field"><span>Agent</span><select name="agent"></select></label>
      <label class="ccmd-field ccmd-grow"><span>Name</span>
        <input name="name" autocomplete="off" spellcheck="false" placeholder="generated when empty"
          maxlength="64"></label>
      <label class="ccmd-field ccmd-grow2"><span>Folder</span>
        <input name="cwd" autocomplete="off" spellcheck="false"
          placeholder="server root (relative paths are inside it)"></label>
      <label class="ccmd-check" title="Create a git worktree and branch for this session">
        <input type="checkbox" name="worktree"> <span>git worktree</span></label>
      <button type="submit" class="ccmd-btn primary">Create</button>
      <div class="ccmd-form-error" role="alert" hidden></div>`;
    this.fields = /** @type {Fields} */ (/** @type {unknown} */ (this.el.elements));
    const select = this.fields.agent;
    for (const [value, label] of AGENTS) select.append(new Option(label, value));
    select.value = localStorage.getItem(LAST_AGENT_KEY) || "claude";
    if (!select.value) select.value = "claude";
    if (compact) {
      for (const input of [this.fields.cwd, this.fields.worktree]) {
        /** @type {HTMLLabelElement} */ (input.closest("label")).hidden = true;
      }
    }
    this.error = /** @type {HTMLDivElement} */ (this.el.querySelector(".ccmd-form-error"));
    this.submit = /** @type {HTMLButtonElement} */ (this.el.querySelector("button[type=submit]"));
    this.el.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this._create();
    });
    this.el.addEventListener("input", () => this.showError(null));
  }

  focus() {
    this.fields.name.focus();
  }

  /**
   * Show a server error (`{code, message}`) or a local one; null clears it.
   * @param {unknown} err
   */
  showError(err) {
    if (!err) {
      this.error.hidden = true;
      this.error.replaceChildren();
      return;
    }
    const { code, message } = describeError(err);
    this.error.replaceChildren(h("strong", "", code), h("span", "", message));
    this.error.hidden = false;
  }

  async _create() {
    const f = this.fields;
    /** @type {Parameters<import("./api.js").Api["create"]>[0]} */
    const body = { agent: f.agent.value };
    const name = f.name.value.trim();
    const cwd = f.cwd.value.trim();
    if (name) body.name = name;
    if (cwd) body.cwd = cwd;
    if (f.worktree.checked) body.worktree = true;
    localStorage.setItem(LAST_AGENT_KEY, body.agent);
    this.showError(null);
    this.submit.disabled = true;
    this.submit.textContent = "Creating…";
    try {
      const model = await this.api.create(body);
      f.name.value = "";
      f.worktree.checked = false;
      this.onCreated(model);
    } catch (err) {
      this.showError(err);
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = "Create";
    }
  }
}
