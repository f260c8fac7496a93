// The notebook widget (anywidget): a live terminal on one session.
//
// Model traits: session_id, transport ("auto" | "websocket" | "comm"), height
// (CSS length). Each view has its own connection, so one widget displayed in
// several cells (or windows) works.

import { TerminalView } from "./terminal/view.js";
import { AutoTransport } from "./transport/auto.js";
import { CommTransport } from "./transport/comm.js";
import { WebSocketTransport } from "./transport/connection.js";
import { originServer, serverFromPage, sessionSocketUrl } from "./transport/pageconfig.js";

/**
 * @typedef {object} Traits TerminalWidget's synced traitlets (Python)
 * @property {string} session_id
 * @property {"auto" | "websocket" | "comm"} transport
 * @property {string} height CSS length
 */
/** @typedef {import("@anywidget/types").AnyModel<Traits>} Model */

/**
 * The transport for this view, per the `transport` trait and the page.
 * @param {Model} model
 * @returns {import("./types/session").Transport}
 */
export function chooseTransport(model) {
  const sessionId = model.get("session_id");
  const mode = model.get("transport") || "auto";
  const viaKernel = () => new CommTransport(model);
  if (mode === "comm") return viaKernel();
  let server = serverFromPage();
  if (!server) {
    // No Jupyter page config (VS Code, Colab...): the kernel relays, unless the
    // user insists on a socket, then try the page's own origin.
    if (mode !== "websocket") return viaKernel();
    server = originServer();
  }
  const socket = new WebSocketTransport((offset, stream) => sessionSocketUrl(server, sessionId, offset, stream));
  return mode === "websocket" ? socket : new AutoTransport(socket, viaKernel);
}

/** @type {import("@anywidget/types").Render<Traits>} */
function render({ model, el }) {
  // `el` is shared with ipywidgets: its Layout view owns el's inline style and
  // clears `height` (layout.height is None) once it is created, which can be
  // after this render ran. So the terminal and its height live in a box of ours.
  const box = document.createElement("div");
  box.className = "ccm-widget";
  el.append(box);
  /** @type {TerminalView | null} */
  let view = null;
  const mount = () => {
    view?.dispose();
    view = null;
    box.replaceChildren();
    const sessionId = model.get("session_id");
    if (!sessionId) {
      box.textContent = "No session (session_id is empty).";
      return;
    }
    view = new TerminalView(box, { transport: chooseTransport(model), session: { id: sessionId } });
  };
  const setHeight = () => {
    box.style.height = model.get("height") || "420px";
  };
  setHeight();
  mount();
  model.on("change:height", setHeight);
  model.on("change:session_id", mount);
  model.on("change:transport", mount);
  return () => {
    model.off("change:height", setHeight);
    model.off("change:session_id", mount);
    model.off("change:transport", mount);
    view?.dispose();
    view = null;
    box.remove();
  };
}

export default { render };
