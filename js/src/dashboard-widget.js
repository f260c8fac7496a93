// ccm.dashboard(): the dashboard page's table in a notebook cell (anywidget).
//
// Same modules as the page: one REST listing, then the server's event bus
// keeps the store current (re-listing on every reconnect), the table is drawn
// from the store, coalesced, never optimistically. Inside JupyterLab /
// Notebook 7 the server and its token come from the page config; REST calls
// send the token as a header, the event socket as `?token=`. A row click
// opens its terminal below the table (the widget's TerminalView).
//
// Without a page config (VS Code, Colab...) the browser cannot reach the
// server itself: the view says so and shows the kernel's plain HTML listing
// (model trait `fallback_html`, refreshed by sending {type: "refresh"}).
//
// Model traits: height (CSS length of the terminal panel), fallback_html.

import { h, setStyle } from "./common/dom.js";
import { Api } from "./dashboard/api.js";
import css from "./dashboard/dashboard.raw.css";
import { drawSummary, showNotice } from "./dashboard/dom.js";
import { CreateForm } from "./dashboard/form.js";
import { SessionList } from "./dashboard/list.js";
import { followSessions } from "./dashboard/live.js";
import { TerminalPanel } from "./dashboard/panel.js";
import { SessionStore } from "./dashboard/store.js";
import ownCss from "./dashboard/widget.raw.css";
import { injectStyles } from "./terminal/styles.js";
import { serverFromPage } from "./transport/pageconfig.js";

/**
 * @typedef {object} Traits DashboardWidget's synced traitlets (Python)
 * @property {string} height CSS length of the terminal panel
 * @property {string} fallback_html the kernel's listing, for pages without a config
 */
/** @typedef {import("@anywidget/types").AnyModel<Traits>} Model */

const STYLE_ID = "jupyter-ccmanager-dashboard-widget-styles";

/** @type {import("@anywidget/types").Render<Traits>} */
function render({ model, el }) {
  injectStyles(document); // badges and terminal: the widget's own CSS
  setStyle(document, STYLE_ID, `${css}\n${ownCss}`);
  const root = h("div", "ccmdw");
  el.append(root);
  const server = serverFromPage();
  const dispose = server ? live(model, root, server) : fallback(model, root);
  return () => {
    dispose();
    root.remove();
  };
}

/**
 * The live dashboard; returns its cleanup.
 * @param {Model} model
 * @param {HTMLElement} root
 * @param {import("./types/session").Server} server
 */
function live(model, root, server) {
  // Keys typed here (form, rows, terminal) are ours, not JupyterLab's shortcuts.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const api = new Api(server.baseUrl, server.token);
  const errors = h("div", "ccmdw-errors");
  /** @type {(text: string, err?: unknown) => void} */
  const showError = (text, err) => showNotice(errors, text, err, { boxClass: "ccmdw-error" });

  const panel = new TerminalPanel(server, () => closeTerminal());
  const list = new SessionList({
    api,
    onOpen: (id) => openTerminal(id),
    onDeleted: (id) => store.forget(id),
    onError: showError,
  });
  const form = new CreateForm(
    api,
    (created) => {
      // The "created" event may come after the reply; a known session has newer news already.
      if (!store.get(created.id)) store.upsert(created);
    },
    { compact: true },
  );

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let renderTimer;
  const store = new SessionStore(({ id, model: session }) => {
    if (!session && panel.sessionId === id) closeTerminal();
    if (session) panel.update(session);
    renderTimer ??= setTimeout(draw, 0);
  });

  const liveEl = h("span", "ccmd-live");
  const summary = h("div", "ccmd-summary");
  const head = h("div", "ccmdw-head");
  head.append(h("div", "ccmd-logo", ">_"), h("h3", "ccmdw-title", "Sessions"), summary);
  head.append(h("div", "ccmd-spacer"), liveEl);
  const formBox = h("div", "ccmdw-box ccmdw-form");
  formBox.append(form.el);
  const listBox = h("div", "ccmdw-box");
  listBox.append(list.el);
  root.append(head, errors, formBox, listBox, panel.el);

  const setHeight = () => root.style.setProperty("--ccmdw-term-height", model.get("height") || "380px");
  setHeight();
  model.on("change:height", setHeight);

  function draw() {
    renderTimer = undefined;
    list.render(store.sorted());
    drawSummary(summary, store.counts());
  }

  /** @param {string} id */
  function openTerminal(id) {
    const session = store.get(id);
    if (!session) return;
    panel.open(session);
    list.select(id);
  }

  function closeTerminal() {
    panel.close();
    list.select(null);
  }

  let feedUrl = `${server.wsBase}api/events/subscribe`;
  if (server.token) feedUrl += `?token=${encodeURIComponent(server.token)}`;
  const { feed, stop } = followSessions({
    api,
    store,
    feedUrl,
    liveEl,
    onListed: () => draw(),
    onTick: () => list.tick(),
    onError: showError,
  });
  root.ccmDashboard = { api, store, list, panel, feed, form }; // tests and debugging

  return () => {
    stop();
    clearTimeout(renderTimer);
    model.off("change:height", setHeight);
    panel.close();
  };
}

/**
 * No page config: explain, and show the kernel's listing; returns its cleanup.
 * @param {Model} model
 * @param {HTMLElement} root
 */
function fallback(model, root) {
  const note = h(
    "p",
    "ccmdw-note",
    "The live dashboard needs JupyterLab or Jupyter Notebook: this front end does not tell " +
      "widgets where the Jupyter server is. Here are the sessions as the kernel lists them.",
  );
  const refresh = h("button", "ccmd-btn", "Refresh");
  refresh.type = "button";
  const table = h("div", "ccmdw-static");
  const draw = () => {
    table.innerHTML = model.get("fallback_html") || "<em>Listing sessions…</em>"; // escaped by the kernel
  };
  const ask = () => model.send({ type: "refresh" });
  refresh.addEventListener("click", ask);
  root.append(note, table, refresh);
  model.on("change:fallback_html", draw);
  draw();
  ask();
  return () => model.off("change:fallback_html", draw);
}

export default { render };
