// Live session events from jupyter_server's event bus ({baseUrl}api/events/subscribe).
//
// The bus carries every registered schema; only ours is passed on. A socket
// that drops is reopened with backoff, and `onOpen` fires on every (re)open
// so the caller can list sessions again: events sent while the socket was
// down are gone, a fresh list is the only way to catch up.

import { Backoff } from "../transport/backoff.js";

/** @typedef {"connecting" | "live" | "offline"} FeedStatus */

export const SESSION_SCHEMA = "https://events.jupyter.org/jupyter_ccmanager/session/v1";

export class EventFeed {
  /**
   * @param {string} url the subscribe socket URL
   * @param {object} handlers
   * @param {(event: import("../types/session").SessionEvent) => void} handlers.onEvent one session event
   * @param {() => void} handlers.onOpen the socket is (again) open
   * @param {(status: FeedStatus, why?: string) => void} handlers.onStatus
   */
  constructor(url, { onEvent, onOpen, onStatus }) {
    this.url = url;
    this.h = { onEvent, onOpen, onStatus };
    this.backoff = new Backoff({ min: 500, max: 10000 });
    /** @type {WebSocket | null} */
    this.ws = null;
    this.closed = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this._retryNow = () => {
      if (this.closed || this.ws || document.visibilityState === "hidden") return;
      clearTimeout(this.timer);
      this.backoff.reset();
      this._connect();
    };
  }

  start() {
    window.addEventListener("online", this._retryNow);
    document.addEventListener("visibilitychange", this._retryNow);
    this._connect();
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this._retryNow);
    document.removeEventListener("visibilitychange", this._retryNow);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = null;
      ws.close(1000);
    }
  }

  _connect() {
    if (this.closed) return;
    this.h.onStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this._lost(String(err));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.backoff.reset();
      this.h.onStatus("live");
      this.h.onOpen();
    };
    ws.onmessage = (ev) => {
      if (ws !== this.ws || typeof ev.data !== "string") return;
      let event;
      try {
        event = JSON.parse(ev.data);
      } catch {
        return; // Someone else's malformed event must not stop ours.
      }
      if (event && event.schema_id === SESSION_SCHEMA && typeof event.session_id === "string") {
        this.h.onEvent(event);
      }
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this._lost(ev.reason || `code ${ev.code}`);
    };
  }

  /** @param {string} why */
  _lost(why) {
    if (this.closed) return;
    this.h.onStatus("offline", why);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), this.backoff.next());
  }
}
