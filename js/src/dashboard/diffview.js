// The review panel: what a worktree session changed (file list and hunks,
// rendered by diff2html from the server's unified patch), with Commit and
// Merge. It only shows what the server answers: after a commit or a merge it
// asks for the diff again, and a "committed"/"merged" event from another
// view (the kernel, another tab) reloads it too.

import { html as diffToHtml } from "diff2html";
import { h, setStyle } from "../common/dom.js";
import { ApiError, describeError } from "./api.js";
import diff2htmlCss from "diff2html/bundles/css/diff2html.min.css";

/** @typedef {import("../types/session").Session} Session */

const STYLE_ID = "jupyter-ccmanager-diff2html";

export class DiffPanel {
  /**
   * @param {import("./api.js").Api} api
   * @param {() => void} onClose the person closed the panel
   */
  constructor(api, onClose) {
    this.api = api;
    /** @type {string | null} */
    this.sessionId = null;
    /** @type {string | null | undefined} base and HEAD the shown diff is for */
    this.shownFor = undefined;
    // Under JupyterLab's webpack build a node_modules .css goes through style-loader,
    // which injects it itself and exports no string (see terminal/styles.js).
    if (typeof diff2htmlCss === "string") setStyle(document, STYLE_ID, diff2htmlCss);
    this.el = h("section", "ccmd-panel ccmd-diff-panel");
    this.el.hidden = true;
    const bar = h("div", "ccmd-panel-bar");
    this.title = h("span", "ccmd-panel-title");
    const close = h("button", "ccmd-btn ccmd-close", "✕");
    close.type = "button";
    close.title = "Close the diff";
    close.setAttribute("aria-label", close.title);
    close.addEventListener("click", () => onClose());
    bar.append(this.title, close);

    this.message = h("input", "ccmd-input ccmd-commit-message");
    this.message.placeholder = "Commit message";
    this.message.setAttribute("aria-label", "Commit message");
    this.commitBtn = h("button", "ccmd-btn", "Commit");
    this.commitBtn.type = "button";
    this.commitBtn.dataset.action = "commit";
    this.commitBtn.title = "Commit everything in the worktree, new files too";
    this.commitBtn.addEventListener("click", () => this.commit());
    this.strategy = h("select", "ccmd-input ccmd-strategy");
    this.strategy.setAttribute("aria-label", "Merge strategy");
    for (const name of ["merge", "squash", "rebase"]) this.strategy.append(new Option(name, name));
    this.mergeBtn = h("button", "ccmd-btn solid", "Merge");
    this.mergeBtn.type = "button";
    this.mergeBtn.dataset.action = "merge";
    this.mergeBtn.addEventListener("click", () => this.merge());
    const tools = h("div", "ccmd-diff-tools");
    tools.append(this.message, this.commitBtn, this.strategy, this.mergeBtn);

    this.summary = h("div", "ccmd-diff-summary");
    this.status = h("div", "ccmd-diff-status");
    this.status.setAttribute("role", "status");
    this.body = h("div", "ccmd-diff-body");
    this.el.append(bar, tools, this.summary, this.status, this.body);
  }

  /**
   * Show the diff of session `model` (a worktree session).
   * @param {Session} model
   */
  open(model) {
    this.sessionId = model.id;
    this.model = model;
    this.title.textContent = `Changes · ${model.name || model.id}`;
    this.mergeBtn.title = `Merge the work into ${model.base_branch || "its base branch"}`;
    this.el.hidden = false;
    this.say("");
    return this.load();
  }

  /**
   * A newer model of some session: reload when the shown one moved (commit, merge).
   * @param {Session} model
   */
  update(model) {
    if (model.id !== this.sessionId || !this.model) return;
    const moved = model.base_commit !== this.model.base_commit;
    this.model = model;
    if (moved) this.load();
  }

  async load() {
    const id = this.sessionId;
    if (!id) return;
    this.el.dataset.loading = "1";
    try {
      const diff = await this.api.diff(id);
      if (id !== this.sessionId) return;
      const files = diff.files || [];
      this.summary.textContent = files.length
        ? `${files.length} file${files.length === 1 ? "" : "s"} changed, +${diff.added} −${diff.removed} since ${String(diff.base_commit).slice(0, 8)} (${diff.base_branch || "detached"})`
        : `No changes since ${String(diff.base_commit).slice(0, 8)} (${diff.base_branch || "detached"}).`;
      this.body.innerHTML = files.length
        ? diffToHtml(diff.patch || "", { drawFileList: true, outputFormat: "line-by-line", matching: "lines" })
        : "";
      this.el.dataset.files = String(files.length);
    } catch (err) {
      this.body.replaceChildren();
      this.say(`Could not load the diff: ${describeError(err).message}`, true);
    } finally {
      delete this.el.dataset.loading;
    }
  }

  async commit() {
    const id = this.sessionId;
    const message = this.message.value.trim();
    if (!id) return;
    if (!message) {
      this.say("Write a commit message first.", true);
      this.message.focus();
      return;
    }
    await this.busy(this.commitBtn, "Committing…", async () => {
      const result = await this.api.commit(id, message);
      this.message.value = "";
      this.say(`Committed ${String(result.commit).slice(0, 8)}.`);
      await this.load();
    });
  }

  async merge() {
    const id = this.sessionId;
    if (!id) return;
    const strategy = this.strategy.value;
    const message = this.message.value.trim() || undefined;
    await this.busy(this.mergeBtn, "Merging…", async () => {
      const result = await this.api.merge(id, { strategy, commit: true, message });
      this.message.value = "";
      this.say(`Merged into ${result.into} (${strategy}): ${String(result.commit).slice(0, 8)}.`);
      await this.load();
    });
  }

  /**
   * Run `work` with `btn` showing progress; a refusal is shown in the panel.
   * @param {HTMLButtonElement} btn
   * @param {string} label
   * @param {() => Promise<void>} work
   */
  async busy(btn, label, work) {
    const before = btn.textContent;
    btn.disabled = true;
    btn.textContent = label;
    try {
      await work();
    } catch (err) {
      const { code, message } = describeError(err);
      const files = err instanceof ApiError && Array.isArray(err.details.files) ? err.details.files : [];
      const missing = files.filter((f) => !message.includes(f)); // the message may name them already
      this.say(`${code}: ${message}${missing.length ? ` (${missing.join(", ")})` : ""}`, true);
    } finally {
      btn.disabled = false;
      btn.textContent = before;
    }
  }

  /**
   * @param {string} text "": clear
   * @param {boolean} [error]
   */
  say(text, error = false) {
    this.status.textContent = text;
    this.status.classList.toggle("is-error", error);
    this.status.hidden = !text;
  }

  close() {
    this.sessionId = null;
    this.model = undefined;
    this.body.replaceChildren();
    this.el.hidden = true;
  }
}
