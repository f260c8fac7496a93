// The Lab extension's one copy of the session list, shared by the sidebar,
// the tabs, the status bar, the notifications and the Running panel: the
// dashboard's SessionStore, kept current by the dashboard's followSessions
// (one REST listing, then jupyter_server's event bus; a re-list on every
// reconnect of the event socket, no polling while it is live). Lumino signals
// tell the Lab parts what changed.

import { Signal } from "@lumino/signaling";

import { h } from "../common/dom.js";
import { Api } from "../dashboard/api.js";
import { followSessions } from "../dashboard/live.js";
import { SessionStore } from "../dashboard/store.js";

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("../types/session").Server} Server */
/** @typedef {{id: string, model: Session | null, before: Session | null}} Change */

const RUNNING = new Set(["starting", "idle", "busy", "waiting"]);

/** @param {Session} model */
export function isRunning(model) {
  return RUNNING.has(model.state);
}

export class AgentSessions {
  /** @param {Server} server from transport/pageconfig.js */
  constructor(server) {
    this.server = server;
    this.api = new Api(server.baseUrl, server.token);
    /** @type {Signal<AgentSessions, Change>} one session changed (model null: it is gone) */
    this.changed = new Signal(this);
    /** @type {Signal<AgentSessions, void>} any change, at most once per task (redraws) */
    this.refreshed = new Signal(this);
    /** @type {Signal<AgentSessions, {text: string, err: unknown}>} */
    this.failed = new Signal(this);
    this.liveEl = h("span", "ccmd-live"); // "live" / "reconnecting…", shown by the sidebar
    this.store = new SessionStore((change) => {
      this.changed.emit(change);
      this._schedule();
    });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    /** @type {{stop: () => void, relist: () => Promise<void>} | null} */
    this.follow = null;
    /** @type {Promise<void>} resolved by the first listing (ok or not) */
    this.ready = new Promise((resolve) => {
      this._ready = resolve;
    });
  }

  start() {
    let feedUrl = `${this.server.wsBase}api/events/subscribe`;
    if (this.server.token) feedUrl += `?token=${encodeURIComponent(this.server.token)}`;
    this.follow = followSessions({
      api: this.api,
      store: this.store,
      feedUrl,
      liveEl: this.liveEl,
      onListed: () => {
        this._ready?.();
        this._schedule();
      },
      onTick: () => this._schedule(),
      onError: (text, err) => this.failed.emit({ text, err }),
    });
  }

  dispose() {
    this.follow?.stop();
    clearTimeout(this.timer);
  }

  /** List again now (the Running panel's refresh button). */
  async relist() {
    await this.follow?.relist();
  }

  /** @param {string} id */
  get(id) {
    return this.store.get(id);
  }

  /** Waiting first, then running, then ended (the store's order). */
  sorted() {
    return this.store.sorted();
  }

  waitingCount() {
    return this.store.counts().waiting || 0;
  }

  /**
   * Create a session; the store has it before this resolves.
   * @param {Parameters<Api["create"]>[0]} body
   */
  async create(body) {
    const model = await this.api.create(body);
    if (!this.store.get(model.id)) this.store.upsert(model); // the "created" event may come later
    return model;
  }

  _schedule() {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.refreshed.emit();
    }, 0);
  }
}
