// Keeps the store in step with the server, the same on the dashboard page and
// in the dashboard widget: one REST listing, then jupyter_server's event bus.
// Every (re)open of the event socket lists again, because events sent while
// it was down are gone; while it is down (server restarting, a proxy without
// websockets) a listing every TICK_MS still catches up, just less promptly.

import { EventFeed } from "./events.js";

/** @typedef {import("../types/session").Session} Session */

/** @type {Record<string, string>} */
const LIVE_LABELS = { connecting: "connecting…", live: "live", offline: "reconnecting…" };
const TICK_MS = 10000;

/**
 * @param {object} options
 * @param {import("./api.js").Api} options.api
 * @param {import("./store.js").SessionStore} options.store
 * @param {string} options.feedUrl the event bus's subscribe socket
 * @param {HTMLElement} options.liveEl shows whether updates are live
 * @param {(models: Session[] | null) => void} options.onListed a listing is in
 *   the store (null: it failed)
 * @param {() => void} options.onTick every TICK_MS (relative times)
 * @param {(text: string, err: unknown) => void} options.onError
 * @returns {{feed: EventFeed, stop: () => void, relist: () => Promise<void>}}
 */
export function followSessions({ api, store, feedUrl, liveEl, onListed, onTick, onError }) {
  let listFailed = false;
  async function relist() {
    store.beginListing();
    /** @type {Session[] | null} */
    let models = null;
    try {
      models = await api.list();
      listFailed = false;
    } catch (err) {
      if (!listFailed) onError("Could not list sessions", err); // once per outage, not per retry
      listFailed = true;
    }
    store.finishListing(models);
    onListed(models);
  }

  const feed = new EventFeed(feedUrl, {
    onEvent: (event) => store.apply(event),
    onOpen: () => relist(),
    onStatus: (status, why) => {
      liveEl.dataset.status = status;
      liveEl.textContent = LIVE_LABELS[status] || status;
      liveEl.title = status === "live" ? "Live updates from the server's event bus" : why || "";
    },
  });
  relist();
  feed.start();
  const timer = setInterval(() => {
    onTick();
    if (liveEl.dataset.status !== "live" && document.visibilityState === "visible") relist();
  }, TICK_MS);
  return {
    feed,
    relist,
    stop() {
      clearInterval(timer);
      feed.close();
    },
  };
}
