// The terminal panel: one session at a time, through exactly the widget's
// code (TerminalView over a WebSocketTransport), so the dashboard and the
// notebook show the same thing and resume the same way.

import { WebSocketTransport } from "../transport/connection.js";
import { sessionSocketUrl } from "../transport/pageconfig.js";
import { TerminalView } from "../terminal/view.js";

/** @typedef {import("../types/session").Session} Session */

export class TerminalPanel {
  /**
   * @param {import("../types/session").Server} server from transport/pageconfig.js
   * @param {() => void} onClose the person closed the panel
   */
  constructor(server, onClose) {
    this.server = server;
    /** @type {string | null} */
    this.sessionId = null;
    /** @type {TerminalView | null} */
    this.view = null;
    this.el = document.createElement("section");
    this.el.className = "ccmd-panel";
    this.el.hidden = true;
    const bar = document.createElement("div");
    bar.className = "ccmd-panel-bar";
    this.title = document.createElement("span");
    this.title.className = "ccmd-panel-title";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "ccmd-btn ccmd-close";
    close.title = "Close the terminal (the session keeps running)";
    close.setAttribute("aria-label", close.title);
    close.textContent = "✕";
    close.addEventListener("click", () => onClose());
    bar.append(this.title, close);
    this.host = document.createElement("div");
    this.host.className = "ccmd-panel-term";
    this.el.append(bar, this.host);
  }

  /**
   * Show session `model`; reopening the one already shown just focuses it.
   * @param {Session} model
   */
  open(model) {
    if (this.sessionId === model.id && this.view) {
      this.view.focus();
      return;
    }
    this.close();
    this.sessionId = model.id;
    this.title.textContent = `Terminal · ${model.name || model.id}`;
    this.el.hidden = false;
    const id = model.id;
    const transport = new WebSocketTransport((offset, stream) => sessionSocketUrl(this.server, id, offset, stream));
    this.view = new TerminalView(this.host, { transport, session: model });
    this.view.focus();
  }

  /**
   * A newer model of the shown session (rename).
   * @param {Session} model
   */
  update(model) {
    if (model.id === this.sessionId) this.title.textContent = `Terminal · ${model.name || model.id}`;
  }

  close() {
    this.view?.dispose();
    this.view = null;
    this.sessionId = null;
    this.host.replaceChildren();
    this.el.hidden = true;
  }
}
