// AutoTransport: the server's socket first, the kernel relay if the socket
// never says hello.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AutoTransport } from "../src/transport/auto.js";

/** A transport whose events the test emits by hand. */
class FakeTransport {
  constructor(name) {
    this.name = name;
    this.everConnected = false;
    this.failures = 0;
    this.closed = false;
    this.sent = [];
    this.h = null;
  }
  open(handlers) {
    this.h = handlers;
  }
  send(msg) {
    this.sent.push(msg);
    return true;
  }
  sendInput(bytes) {
    this.sent.push(bytes);
    return true;
  }
  close() {
    this.closed = true;
  }
  /** The socket failed once more before any hello. */
  fail() {
    this.failures += 1;
    this.h.onStatus("offline", `attempt ${this.failures}`);
  }
}

function setup() {
  const primary = new FakeTransport("socket");
  let fallback = null;
  const auto = new AutoTransport(primary, () => (fallback = new FakeTransport("comm")));
  const log = [];
  const handlers = {
    getOffset: () => 0,
    onStatus: (status, why) => log.push(why ? `${status}: ${why}` : status),
    onMessage: (msg) => log.push(`msg ${msg.type}`),
    onOutput: (bytes) => log.push(`output ${bytes.length}`),
  };
  auto.open(handlers);
  return { auto, primary, fallback: () => fallback, log, handlers };
}

test("while the socket works, everything goes through it", () => {
  const { auto, primary, fallback, log } = setup();
  primary.h.onStatus("connected");
  primary.h.onMessage({ type: "hello" });
  primary.h.onOutput(new Uint8Array(3));
  auto.send({ type: "ping" });
  assert.deepEqual(log, ["connected", "msg hello", "output 3"]);
  assert.deepEqual(primary.sent, [{ type: "ping" }]);
  assert.equal(fallback(), null);
});

test("three failed attempts without a hello switch to the relay", () => {
  const { auto, primary, fallback, log, handlers } = setup();
  primary.fail();
  primary.fail();
  assert.equal(fallback(), null);
  assert.deepEqual(log, ["offline: attempt 1", "offline: attempt 2"]);
  primary.fail();
  assert.ok(primary.closed);
  assert.equal(fallback()?.h, handlers); // the relay reports to the same view
  auto.sendInput(new Uint8Array(1));
  assert.equal(fallback().sent.length, 1);
  assert.equal(primary.sent.length, 0);
});

test("a fatal failure before any hello switches at once", () => {
  const { primary, fallback, log } = setup();
  primary.h.onStatus("failed", "FORBIDDEN");
  assert.ok(fallback());
  assert.deepEqual(log, []); // the view never hears of the socket's failure
});

test("a socket that once worked is never given up", () => {
  const { primary, fallback, log } = setup();
  primary.everConnected = true;
  for (let i = 0; i < 5; i++) primary.fail();
  primary.h.onStatus("failed", "SESSION_NOT_FOUND");
  assert.equal(fallback(), null);
  assert.equal(log.at(-1), "failed: SESSION_NOT_FOUND");
});

test("late messages and output of the abandoned socket are ignored", () => {
  const { primary, fallback, log } = setup();
  primary.h.onStatus("failed", "");
  primary.h.onMessage({ type: "hello" });
  primary.h.onOutput(new Uint8Array(1));
  fallback().h.onMessage({ type: "hello" });
  assert.deepEqual(log, ["msg hello"]);
});

test("close closes the transport in use", () => {
  const { auto, primary, fallback } = setup();
  primary.h.onStatus("failed", "");
  auto.close();
  assert.ok(fallback().closed);
});
