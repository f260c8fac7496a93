// The dashboard page ({baseUrl}ccmanager, served by dashboard.py): every
// session with a live state badge, waiting ones on top; create, stop, resume,
// delete; a click opens the session's terminal with the widget's own code.
//
// Data flow: one REST listing, then jupyter_server's event bus keeps the
// store current (re-listing whenever the event socket reconnects); the table
// is redrawn from the store, coalesced, never optimistically.

import { h, setStyle } from "./common/dom.js";
import { Api } from "./dashboard/api.js";
import css from "./dashboard/dashboard.raw.css";
import { drawSummary, showNotice } from "./dashboard/dom.js";
import { DiffPanel } from "./dashboard/diffview.js";
import { CreateForm } from "./dashboard/form.js";
import { SessionList } from "./dashboard/list.js";
import { followSessions } from "./dashboard/live.js";
import { Notifier } from "./dashboard/notify.js";
import { TerminalPanel } from "./dashboard/panel.js";
import { SessionStore } from "./dashboard/store.js";
import { injectStyles } from "./terminal/styles.js";
import { originServer, serverFromPage } from "./transport/pageconfig.js";

const STYLE_ID = "jupyter-ccmanager-dashboard-styles";

function main() {
  const root = /** @type {HTMLElement} */ (document.getElementById("ccm-dashboard")); // in the page's HTML
  const server = serverFromPage() || originServer();
  injectStyles(document); // the widget's CSS: same badges, same terminal
  setStyle(document, STYLE_ID, css);

  const api = new Api(server.baseUrl);
  const toasts = h("div", "ccmd-toasts");
  /** @type {(text: string, err?: unknown) => void} */
  const showError = (text, err) =>
    showNotice(toasts, text, err, { boxClass: "ccmd-toast", bodyClass: "ccmd-toast-body" });

  const panel = new TerminalPanel(server, () => closeTerminal());
  const diffPanel = new DiffPanel(api, () => closeTerminal());
  const list = new SessionList({
    api,
    onOpen: (id) => openTerminal(id),
    onDiff: (id) => openDiff(id),
    onDeleted: (id) => store.forget(id),
    onError: showError,
  });
  const notifier = new Notifier((id) => openTerminal(id));
  const form = new CreateForm(api, (model) => {
    // The "created" event may come after the reply; a known session has newer news already.
    if (!store.get(model.id)) store.upsert(model);
    openTerminal(model.id);
  });

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let renderTimer;
  const store = new SessionStore(({ id, model, before }) => {
    if (!model && (panel.sessionId === id || diffPanel.sessionId === id)) closeTerminal();
    if (model) panel.update(model);
    if (model) diffPanel.update(model);
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
  mainEl.append(side, panel.el, diffPanel.el);
  const app = h("div", "ccmd-app");
  app.append(header, mainEl, toasts);
  root.replaceChildren(app);

  function render() {
    renderTimer = undefined;
    list.render(store.sorted());
    const counts = store.counts();
    notifier.setWaitingCount(counts.waiting || 0);
    drawSummary(summary, counts);
  }

  /** @param {string} id */
  function openDiff(id) {
    const model = store.get(id);
    if (!model) return;
    panel.close();
    diffPanel.open(model);
    list.select(id);
    mainEl.classList.add("has-panel");
  }

  /** @param {string} id */
  function openTerminal(id) {
    const model = store.get(id);
    if (!model) return;
    diffPanel.close();
    panel.open(model);
    list.select(id);
    mainEl.classList.add("has-panel");
    history.replaceState(null, "", `#${encodeURIComponent(id)}`);
  }

  function closeTerminal() {
    panel.close();
    diffPanel.close();
    list.select(null);
    mainEl.classList.remove("has-panel");
    history.replaceState(null, "", location.pathname + location.search);
  }

  // ---- data
  let firstList = true;
  const { feed } = followSessions({
    api,
    store,
    feedUrl: `${server.wsBase}api/events/subscribe`,
    liveEl: live,
    onListed: (models) => {
      render();
      if (models && firstList) {
        firstList = false;
        const wanted = decodeURIComponent(location.hash.slice(1));
        if (wanted && store.get(wanted)) openTerminal(wanted); // reload keeps the open terminal
      }
    },
    onTick: () => list.tick(),
    onError: showError,
  });
  window.ccmDashboard = { api, store, list, panel, diffPanel, feed, form, notifier }; // tests and debugging
}

function titleBlock() {
  const box = h("div", "ccmd-title");
  box.append(h("h1", "", "Sessions"), h("span", "ccmd-sub", "Jupyter CCManager"));
  return box;
}

/**
 * @param {string} title
 * @param {HTMLElement} body
 */
function card(title, body) {
  const box = h("section", "ccmd-card");
  box.append(h("h2", "", title), body);
  return box;
}

main();
