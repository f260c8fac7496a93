// The dashboard page ({baseUrl}ccmanager, served by dashboard.py): every
// session with a live state badge, waiting ones on top; create, stop, resume,
// delete; a click opens the session's terminal with the widget's own code.
//
// Data flow: one REST listing, then jupyter_server's event bus keeps the
// store current (re-listing whenever the event socket reconnects); the table
// is redrawn from the store, coalesced, never optimistically.

import css from "./dashboard.css";
import { Api } from "./dashboard-api.js";
import { drawSummary, h } from "./dashboard-dom.js";
import { EventFeed } from "./dashboard-events.js";
import { CreateForm } from "./dashboard-form.js";
import { SessionList } from "./dashboard-list.js";
import { Notifier } from "./dashboard-notify.js";
import { TerminalPanel } from "./dashboard-panel.js";
import { SessionStore } from "./dashboard-store.js";
import { serverFromPage } from "./pageconfig.js";
import { injectStyles } from "./styles.js";

const LIVE_LABELS = { connecting: "connecting…", live: "live", offline: "reconnecting…" };
const TICK_MS = 10000;

function main() {
  const root = document.getElementById("ccm-dashboard");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const server = serverFromPage() || { baseUrl: "/", wsBase: `${scheme}//${location.host}/`, token: "" };
  injectStyles(document); // the widget's CSS: same badges, same terminal
  addStyle(css);

  const api = new Api(server.baseUrl);
  const toasts = h("div", "ccmd-toasts");
  const showError = (text, err) => toast(toasts, text, err);

  const panel = new TerminalPanel(server, () => closeTerminal());
  const list = new SessionList({
    api,
    onOpen: (id) => openTerminal(id),
    onDeleted: (id) => store.forget(id),
    onError: showError,
  });
  const notifier = new Notifier((id) => openTerminal(id));
  const form = new CreateForm(api, (model) => {
    // The "created" event may come after the reply; a known session has newer news already.
    if (!store.get(model.id)) store.upsert(model);
    openTerminal(model.id);
  });

  let renderTimer = null;
  const store = new SessionStore(({ id, model, before }) => {
    if (!model && panel.sessionId === id) closeTerminal();
    if (model) panel.update(model);
    if (model?.state === "waiting" && before && before.state !== "waiting") {
      notifier.waiting(model, panel.sessionId === id);
    }
    renderTimer ??= setTimeout(render, 0);
  });

  // ---- layout
  const live = h("span", "ccmd-live");
  const summary = h("div", "ccmd-summary");
  const header = h("header", "ccmd-header");
  header.append(
    h("div", "ccmd-logo", ">_"),
    titleBlock(),
    summary,
    h("div", "ccmd-spacer"),
    live,
    notifier.button,
  );
  const formCard = card("New session", form.el);
  const listCard = card("Sessions", list.el);
  const side = h("div", "ccmd-side");
  side.append(formCard, listCard);
  const mainEl = h("main", "ccmd-main");
  mainEl.append(side, panel.el);
  const app = h("div", "ccmd-app");
  app.append(header, mainEl, toasts);
  root.replaceChildren(app);

  function render() {
    renderTimer = null;
    list.render(store.sorted());
    const counts = store.counts();
    notifier.setWaitingCount(counts.waiting || 0);
    drawSummary(summary, counts);
  }

  function openTerminal(id) {
    const model = store.get(id);
    if (!model) return;
    panel.open(model);
    list.select(id);
    mainEl.classList.add("has-panel");
    history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  }

  function closeTerminal() {
    panel.close();
    list.select(null);
    mainEl.classList.remove("has-panel");
    history.replaceState(null, "", location.pathname + location.search);
  }

  // ---- data
  let firstList = true;
  let listFailed = false;
  async function relist() {
    store.beginListing();
    let models = null;
    try {
      models = await api.list();
      listFailed = false;
    } catch (err) {
      if (!listFailed) showError("Could not list sessions", err); // once per outage, not per retry
      listFailed = true;
    }
    store.finishListing(models);
    render();
    if (models && firstList) {
      firstList = false;
      const wanted = decodeURIComponent(location.hash.slice(1));
      if (wanted && store.get(wanted)) openTerminal(wanted); // reload keeps the open terminal
    }
  }

  const feed = new EventFeed(`${server.wsBase}api/events/subscribe`, {
    onEvent: (event) => store.apply(event),
    onOpen: () => relist(), // events missed while disconnected are only in a fresh list
    onStatus: (status, why) => {
      live.dataset.status = status;
      live.textContent = LIVE_LABELS[status] || status;
      live.title = status === "live" ? "Live updates from the server's event bus" : why || "";
    },
  });
  relist();
  feed.start();
  setInterval(() => {
    list.tick();
    // Without the event socket (server restarting, a proxy without websockets)
    // the page still catches up, just less promptly.
    if (live.dataset.status !== "live" && document.visibilityState === "visible") relist();
  }, TICK_MS);
  window.ccmDashboard = { api, store, list, panel, feed, form, notifier }; // tests and debugging
}

function titleBlock() {
  const box = h("div", "ccmd-title");
  box.append(h("h1", "", "Sessions"), h("span", "ccmd-sub", "Jupyter CCManager"));
  return box;
}

function card(title, body) {
  const box = h("section", "ccmd-card");
  box.append(h("h2", "", title), body);
  return box;
}


function toast(container, text, err) {
  const box = h("div", "ccmd-toast");
  box.setAttribute("role", "alert");
  const body = h("div", "ccmd-toast-body");
  body.append(h("strong", "", text));
  if (err) body.append(h("code", "", err.code || "ERROR"), h("span", "", err.message || String(err)));
  const close = h("button", "ccmd-btn ccmd-close", "✕");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => box.remove());
  box.append(body, close);
  container.append(box);
  setTimeout(() => box.remove(), 12000);
}

function addStyle(text) {
  const style = document.createElement("style");
  style.id = "jupyter-ccmanager-dashboard-styles";
  style.textContent = text;
  document.head.append(style);
}


main();
