// The dashboard's copy of the session list: filled by a REST listing, then
// kept current by bus events (each carries the full model after the change).
//
// A listing and the event socket race: an event may be produced after the
// server built the list but arrive before the list does. Events that come
// while a listing is in flight are therefore held and replayed on top of it
// (applying a model twice is harmless), so the newest word always wins.
//
// Deleted ids are remembered: the server may still emit an "updated" event
// for a session after its "deleted" (e.g. its last viewer disconnecting), and
// that must not bring the row back. Ids are never reused, so this is safe.

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("../types/session").SessionEvent} SessionEvent */
/** @typedef {{id: string, model: Session | null, before: Session | null}} Change */

/** @type {Record<string, number>} */
export const STATE_RANK = { waiting: 0, busy: 1, starting: 1, idle: 1, stopped: 2, exited: 2 };

/**
 * The header's chips from `counts()`: waiting, running, ended; empty groups left out.
 * @param {Record<string, number>} counts
 * @returns {{kind: string, n: number, label: string}[]}
 */
export function summarize(counts) {
  const running = (counts.idle || 0) + (counts.busy || 0) + (counts.starting || 0);
  /** @type {[string, number, string][]} */
  const groups = [
    ["waiting", counts.waiting || 0, "waiting"],
    ["running", running, "running"],
    ["ended", (counts.stopped || 0) + (counts.exited || 0), "stopped"],
  ];
  return groups.filter(([, n]) => n > 0).map(([kind, n, label]) => ({ kind, n, label }));
}

export class SessionStore {
  /** @param {(change: Change) => void} onChange after every change, with the model before it */
  constructor(onChange) {
    /** @type {Map<string, Session>} */
    this.sessions = new Map();
    this.onChange = onChange;
    this.listing = 0; // listings in flight
    /** @type {SessionEvent[]} */
    this.held = [];
    /** @type {Set<string>} */
    this.deleted = new Set();
  }

  /** Call before asking for a list; events are held until `finishListing`. */
  beginListing() {
    this.listing += 1;
  }

  /**
   * Replace everything with `models` (null: the listing failed), then replay held events.
   * @param {Session[] | null} models
   */
  finishListing(models) {
    this.listing = Math.max(0, this.listing - 1);
    if (Array.isArray(models)) {
      const seen = new Set();
      for (const model of models) {
        seen.add(model.id);
        this.upsert(model);
      }
      for (const id of [...this.sessions.keys()]) if (!seen.has(id)) this.remove(id);
    }
    if (this.listing === 0) {
      const held = this.held;
      this.held = [];
      held.forEach((event) => this.apply(event));
    }
  }

  /**
   * One bus event (the server's session event schema): upsert its model, or forget a deleted session.
   * @param {SessionEvent} event
   */
  apply(event) {
    if (this.listing > 0) {
      this.held.push(event);
      return;
    }
    if (event.action === "deleted") {
      this.deleted.add(event.session_id);
      this.remove(event.session_id);
    } else if (event.session && typeof event.session === "object") {
      this.upsert(event.session);
    }
  }

  /** @param {Session | null | undefined} model */
  upsert(model) {
    if (!model || typeof model.id !== "string" || this.deleted.has(model.id)) return;
    const before = this.sessions.get(model.id) || null;
    this.sessions.set(model.id, model);
    this.onChange({ id: model.id, model, before });
  }

  /**
   * The server confirmed a deletion (our own DELETE): drop it for good.
   * @param {string} id
   */
  forget(id) {
    this.deleted.add(id);
    this.remove(id);
  }

  /** @param {string} id */
  remove(id) {
    const before = this.sessions.get(id) || null;
    if (!before) return;
    this.sessions.delete(id);
    this.onChange({ id, model: null, before });
  }

  /** @param {string} id */
  get(id) {
    return this.sessions.get(id) || null;
  }

  /** Waiting first (they need a person), then running, then ended; newest first in each. */
  sorted() {
    return [...this.sessions.values()].sort((a, b) => {
      const rank = (STATE_RANK[a.state] ?? 1) - (STATE_RANK[b.state] ?? 1);
      if (rank) return rank;
      return String(b.created_at || "").localeCompare(String(a.created_at || "")) || a.id.localeCompare(b.id);
    });
  }

  /** Counts by state, for the header and the page title. */
  counts() {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const { state } of this.sessions.values()) counts[state] = (counts[state] || 0) + 1;
    return counts;
  }
}
