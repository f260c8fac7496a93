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

export const STATE_RANK = { waiting: 0, busy: 1, starting: 1, idle: 1, stopped: 2, exited: 2 };

export class SessionStore {
  /** @param {(change: {id: string, model: object|null, before: object|null}) => void} onChange */
  constructor(onChange) {
    this.sessions = new Map();
    this.onChange = onChange;
    this.listing = 0; // listings in flight
    this.held = [];
    this.deleted = new Set();
  }

  /** Call before asking for a list; events are held until `finishListing`. */
  beginListing() {
    this.listing += 1;
  }

  /** Replace everything with `models` (null: the listing failed), then replay held events. */
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

  /** One bus event (see events.py): upsert its model, or forget a deleted session. */
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

  upsert(model) {
    if (!model || typeof model.id !== "string" || this.deleted.has(model.id)) return;
    const before = this.sessions.get(model.id) || null;
    this.sessions.set(model.id, model);
    this.onChange({ id: model.id, model, before });
  }

  /** The server confirmed a deletion (our own DELETE): drop it for good. */
  forget(id) {
    this.deleted.add(id);
    this.remove(id);
  }

  remove(id) {
    const before = this.sessions.get(id) || null;
    if (!before) return;
    this.sessions.delete(id);
    this.onChange({ id, model: null, before });
  }

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
    const counts = {};
    for (const { state } of this.sessions.values()) counts[state] = (counts[state] || 0) + 1;
    return counts;
  }
}
