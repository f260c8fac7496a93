// SessionStore: a REST listing plus bus events, in whatever order they arrive.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SessionStore, summarize } from "../src/dashboard/store.js";

const session = (id, state = "idle", more = {}) => ({ id, state, created_at: "2025-01-01T00:00:00Z", ...more });
const updated = (model) => ({ schema_id: "s", action: "updated", session_id: model.id, session: model });
const deleted = (id) => ({ schema_id: "s", action: "deleted", session_id: id });

function setup() {
  const changes = [];
  const store = new SessionStore((change) => changes.push(change));
  return { store, changes };
}

test("changes carry the model before and after", () => {
  const { store, changes } = setup();
  const a1 = session("a", "busy");
  const a2 = session("a", "waiting");
  store.apply(updated(a1));
  store.apply(updated(a2));
  store.apply(deleted("a"));
  assert.deepEqual(changes, [
    { id: "a", model: a1, before: null },
    { id: "a", model: a2, before: a1 },
    { id: "a", model: null, before: a2 },
  ]);
  assert.equal(store.get("a"), null);
});

test("a listing replaces everything: sessions it lacks are gone", () => {
  const { store } = setup();
  store.apply(updated(session("a")));
  store.apply(updated(session("b")));
  store.beginListing();
  store.finishListing([session("b"), session("c")]);
  assert.deepEqual([...store.sessions.keys()].sort(), ["b", "c"]);
});

test("a failed listing (null) keeps what is known", () => {
  const { store } = setup();
  store.apply(updated(session("a")));
  store.beginListing();
  store.finishListing(null);
  assert.ok(store.get("a"));
});

test("events during a listing are replayed on top of it: the newest word wins", () => {
  const { store } = setup();
  store.beginListing();
  store.apply(updated(session("a", "waiting"))); // produced after the server built the list
  store.apply(deleted("b"));
  assert.equal(store.get("a"), null); // held, not applied yet
  store.finishListing([session("a", "busy"), session("b")]);
  assert.equal(store.get("a")?.state, "waiting");
  assert.equal(store.get("b"), null);
});

test("events are held until the last of overlapping listings is in", () => {
  const { store } = setup();
  store.beginListing();
  store.beginListing();
  store.apply(updated(session("a", "waiting")));
  store.finishListing([session("a", "busy")]);
  assert.equal(store.get("a")?.state, "busy");
  store.finishListing([session("a", "busy")]);
  assert.equal(store.get("a")?.state, "waiting");
});

test("a deleted session never comes back, from events or listings", () => {
  const { store } = setup();
  store.apply(updated(session("a")));
  store.apply(deleted("a"));
  store.apply(updated(session("a", "idle", { clients: 0 }))); // its last viewer leaving
  store.beginListing();
  store.finishListing([session("a")]); // a listing built before the delete
  assert.equal(store.get("a"), null);
  store.upsert(session("b"));
  store.forget("b"); // our own DELETE answered 204
  store.upsert(session("b"));
  assert.equal(store.get("b"), null);
});

test("models without a string id are ignored", () => {
  const { store, changes } = setup();
  store.upsert(null);
  store.upsert({ id: 7, state: "idle" });
  store.apply({ schema_id: "s", action: "updated", session_id: "x", session: null });
  assert.equal(changes.length, 0);
});

test("sorted: waiting first, then running, then ended; newest first within each", () => {
  const { store } = setup();
  store.upsert(session("old-idle", "idle", { created_at: "2025-01-01T00:00:00Z" }));
  store.upsert(session("new-idle", "idle", { created_at: "2025-02-01T00:00:00Z" }));
  store.upsert(session("stopped", "stopped", { created_at: "2025-03-01T00:00:00Z" }));
  store.upsert(session("waiting", "waiting", { created_at: "2024-01-01T00:00:00Z" }));
  store.upsert(session("busy", "busy", { created_at: "2025-01-15T00:00:00Z" }));
  store.upsert(session("odd", "hibernating", { created_at: "2025-01-20T00:00:00Z" })); // unknown: with running
  assert.deepEqual(
    store.sorted().map((m) => m.id),
    ["waiting", "new-idle", "odd", "busy", "old-idle", "stopped"],
  );
});

test("sorted: ties on creation time are broken by id, so the order is stable", () => {
  const { store } = setup();
  for (const id of ["c", "a", "b"]) store.upsert(session(id));
  assert.deepEqual(store.sorted().map((m) => m.id), ["a", "b", "c"]);
});

test("counts by state, and the summary chips from them", () => {
  const { store } = setup();
  for (const [id, state] of [["1", "idle"], ["2", "busy"], ["3", "waiting"], ["4", "exited"], ["5", "stopped"], ["6", "idle"]]) {
    store.upsert(session(id, state));
  }
  const counts = store.counts();
  assert.deepEqual(counts, { idle: 2, busy: 1, waiting: 1, exited: 1, stopped: 1 });
  assert.deepEqual(summarize(counts), [
    { kind: "waiting", n: 1, label: "waiting" },
    { kind: "running", n: 3, label: "running" },
    { kind: "ended", n: 2, label: "stopped" },
  ]);
});

test("summary leaves out empty groups", () => {
  assert.deepEqual(summarize({ starting: 1 }), [{ kind: "running", n: 1, label: "running" }]);
  assert.deepEqual(summarize({}), []);
});
