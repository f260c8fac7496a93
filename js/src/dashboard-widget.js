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

import css from "./dashboard.css";
import ownCss from "./dashboard-widget.css";
import { Api } from "./dashboard-api.js";
import { drawSummary, h } from "./dashboard-dom.js";
import { EventFeed } from "./dashboard-events.js";
import { CreateForm } from "./dashboard-form.js";
import { SessionList } from "./dashboard-list.js";
import { TerminalPanel } from "./dashboard-panel.js";
import { SessionStore } from "./dashboard-store.js";
import { serverFromPage } from "./pageconfig.js";
import { injectStyles } from "./styles.js";

const STYLE_ID = "jupyter-ccmanager-dashboard-widget-styles";
const LIVE_LABELS = { connecting: "connecting…", live: "live", offline: "reconnecting…" };
const TICK_MS = 10000;

function render({ model, el }) {
  injectStyles(document); // badges and terminal: the widget's own CSS
  addStyle(`${css}\n${ownCss}`);
  const root = h("div", "ccmdw");
  el.append(root);
  const server = serverFromPage();
  const dispose = server ? live(model, root, server) : fallback(model, root);
  return () => {
    dispose();
    root.remove();
  };
}

/** The live dashboard; returns its cleanup. */
function live(model, root, server) {
  // Keys typed here (form, rows, terminal) are ours, not JupyterLab's shortcuts.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const api = new Api(server.baseUrl, server.token);
  const errors = h("div", "ccmdw-errors");
  const showError = (text, err) => notice(errors, text, err);

  let store = null;
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

  let renderTimer = null;
  store = new SessionStore(({ id, model: session }) => {
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
    renderTimer = null;
    list.render(store.sorted());
    drawSummary(summary, store.counts());
  }

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

  let listFailed = false;
  async function relist() {
    store.beginListing();
    let models = null;
    try {
      models = await api.list();
      listFailed = false;
    } catch (err) {
      if (!listFailed) showError("Could not list sessions", err); // once per outage
      listFailed = true;
    }
    store.finishListing(models);
    draw();
  }

  let feedUrl = `${server.wsBase}api/events/subscribe`;
  if (server.token) feedUrl += `?token=${encodeURIComponent(server.token)}`;
  const feed = new EventFeed(feedUrl, {
    onEvent: (event) => store.apply(event),
    onOpen: () => relist(), // events missed while disconnected are only in a fresh list
    onStatus: (status, why) => {
      liveEl.dataset.status = status;
      liveEl.textContent = LIVE_LABELS[status] || status;
      liveEl.title = status === "live" ? "Live updates from the server's event bus" : why || "";
    },
  });
  relist();
  feed.start();
  const timer = setInterval(() => {
    list.tick();
    // Without the event socket the table still catches up, just less promptly.
    if (liveEl.dataset.status !== "live" && document.visibilityState === "visible") relist();
  }, TICK_MS);
  root.ccmDashboard = { api, store, list, panel, feed, form }; // tests and debugging

  return () => {
    clearInterval(timer);
    clearTimeout(renderTimer);
    model.off("change:height", setHeight);
    feed.close();
    panel.close();
  };
}

/** No page config: explain, and show the kernel's listing; returns its cleanup. */
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


/** An error line above the table, dismissible, gone after a while. */
function notice(container, text, err) {
  const box = h("div", "ccmdw-error");
  box.setAttribute("role", "alert");
  box.append(h("strong", "", text));
  if (err) box.append(h("code", "", err.code || "ERROR"), h("span", "", err.message || String(err)));
  const close = h("button", "ccmd-btn ccmd-close", "✕");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => box.remove());
  box.append(close);
  container.append(box);
  setTimeout(() => box.remove(), 12000);
}

function addStyle(text) {
  let style = document.getElementById(STYLE_ID);
  if (!style) {
    style = document.createElement("style");
    style.id = STYLE_ID;
    document.head.append(style);
  }
  if (style.textContent !== text) style.textContent = text; // a re-run with a newer bundle
}


export default { render };
