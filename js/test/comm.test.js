// CommTransport: the session protocol relayed by the kernel, with a stand-in
// for the anywidget model (what the kernel would receive and send).
import assert from "node:assert/strict";
import { test } from "node:test";

import { CommTransport } from "../src/transport/comm.js";

class FakeModel {
  constructor() {
    this.sent = []; // [content, buffers]
    this.listeners = new Set();
  }
  send(content, _callbacks, buffers) {
    this.sent.push([content, buffers]);
  }
  on(event, fn) {
    assert.equal(event, "msg:custom");
    this.listeners.add(fn);
  }
  off(event, fn) {
    assert.equal(event, "msg:custom");
    this.listeners.delete(fn);
  }
  /** A message from the kernel, to every view. */
  receive(msg, buffers = []) {
    for (const fn of [...this.listeners]) fn(msg, buffers);
  }
}

/** Timers under the test's control: `fire()` runs what is due. */
function fakeTimers(t) {
  const due = [];
  t.mock.method(globalThis, "setTimeout", (fn, ms) => {
    due.push({ fn, ms });
    return due.length;
  });
  t.mock.method(globalThis, "clearTimeout", () => {});
  return {
    due,
    fire() {
      for (const { fn } of due.splice(0)) fn();
    },
  };
}

function setup(getOffset = () => 0) {
  const model = new FakeModel();
  const transport = new CommTransport(model);
  const log = { status: [], messages: [], output: [] };
  transport.open({
    getOffset,
    onStatus: (status, why) => log.status.push(why ? `${status}: ${why}` : status),
    onMessage: (msg) => log.messages.push(msg.type),
    onOutput: (bytes) => log.output.push(new TextDecoder().decode(bytes)),
  });
  const view = transport.viewId;
  return { model, transport, log, view };
}

test("open asks the kernel to connect at the view's offset", () => {
  const { model, log, view } = setup(() => 42);
  assert.deepEqual(model.sent, [[{ type: "connect", view, offset: 42 }, undefined]]);
  assert.deepEqual(log.status, ["connecting"]);
});

test("views of one model have their own ids and ignore each other's messages", () => {
  const model = new FakeModel();
  const a = new CommTransport(model);
  const b = new CommTransport(model);
  assert.notEqual(a.viewId, b.viewId);
  const seen = [];
  const handlers = (name) => ({
    getOffset: () => 0,
    onStatus: () => {},
    onMessage: (msg) => seen.push(`${name}:${msg.type}`),
    onOutput: () => {},
  });
  a.open(handlers("a"));
  b.open(handlers("b"));
  model.receive({ type: "hello", view: a.viewId, offset: 0 });
  model.receive({ type: "state", state: "busy" }); // untagged: for every view
  assert.deepEqual(seen, ["a:hello", "a:state", "b:state"]);
});

test("nothing is sent before hello; after it, messages carry the view id", () => {
  const { model, transport, log, view } = setup();
  assert.equal(transport.send({ type: "ping" }), false);
  assert.equal(transport.sendInput(new Uint8Array([97])), false);
  model.receive({ type: "hello", view, offset: 0, session: { id: "s", state: "idle" } });
  assert.deepEqual(log.status, ["connecting", "connected"]);
  assert.equal(transport.send({ type: "resize", cols: 80, rows: 24 }), true);
  const input = new Uint8Array([104, 105]);
  assert.equal(transport.sendInput(input), true);
  assert.deepEqual(model.sent.slice(1), [
    [{ type: "resize", cols: 80, rows: 24, view }, undefined],
    [{ type: "input", view }, [input]],
  ]);
});

test("output is passed on as bytes, but only once connected", () => {
  const { model, log, view } = setup();
  model.receive({ type: "output", view }, [new TextEncoder().encode("early").buffer]);
  model.receive({ type: "hello", view, offset: 0 });
  const data = new TextEncoder().encode("xxhi!");
  model.receive({ type: "output", view }, [new DataView(data.buffer, 2, 3)]);
  assert.deepEqual(log.output, ["hi!"]);
  assert.deepEqual(log.messages, ["hello"]); // output is not a protocol message
});

test("a closed relay reconnects after a backoff delay, from the current offset", (t) => {
  const timers = fakeTimers(t);
  let offset = 0;
  const { model, log, view, transport } = setup(() => offset);
  model.receive({ type: "hello", view, offset: 0 });
  offset = 7;
  model.receive({ type: "closed", view, reason: "server restarting" });
  assert.deepEqual(log.status, ["connecting", "connected", "offline: server restarting"]);
  assert.equal(transport.send({ type: "ping" }), false);
  assert.equal(timers.due.length, 1);
  assert.ok(timers.due[0].ms >= 400 && timers.due[0].ms <= 600);
  timers.fire();
  assert.deepEqual(model.sent.at(-1), [{ type: "connect", view, offset: 7 }, undefined]);
});

test("a fatal error stops for good; other errors are only reported", (t) => {
  const timers = fakeTimers(t);
  const { model, log, view } = setup();
  model.receive({ type: "error", view, code: "INPUT_CLOSED", message: "ended" });
  assert.deepEqual(log.status, ["connecting"]);
  model.receive({ type: "error", view, code: "SESSION_NOT_FOUND", message: "no such session" });
  assert.deepEqual(log.status, ["connecting", "failed: no such session"]);
  assert.deepEqual(log.messages, ["error", "error"]);
  model.receive({ type: "closed", view });
  assert.equal(timers.due.length, 0);
});

test("close says goodbye once and stops listening", () => {
  const { model, transport, view } = setup();
  transport.close();
  transport.close();
  assert.deepEqual(model.sent.slice(1), [[{ type: "disconnect", view }, undefined]]);
  assert.equal(model.listeners.size, 0);
});

test("close copes with a comm that is already gone", () => {
  const { model, transport } = setup();
  model.send = () => {
    throw new Error("comm closed");
  };
  assert.doesNotThrow(() => transport.close());
});
