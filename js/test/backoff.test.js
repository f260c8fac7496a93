// Reconnect delays: doubling from min to max, jittered by ±20 %, reset on success.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Backoff } from "../src/transport/backoff.js";

/** The next `n` delays of `backoff`, with Math.random pinned to `r`. */
function delays(t, backoff, n, r = 0.5) {
  t.mock.method(Math, "random", () => r);
  return Array.from({ length: n }, () => backoff.next());
}

test("delays double from min and stop at max", (t) => {
  assert.deepEqual(delays(t, new Backoff(), 6), [500, 1000, 2000, 4000, 5000, 5000]);
});

test("min and max are configurable", (t) => {
  assert.deepEqual(delays(t, new Backoff({ min: 100, max: 300 }), 4), [100, 200, 300, 300]);
});

test("jitter stays within ±20 % of the base delay", (t) => {
  assert.deepEqual(delays(t, new Backoff(), 2, 0), [400, 800]);
  assert.deepEqual(delays(t, new Backoff(), 2, 0.999999), [600, 1200]);
});

test("reset starts over at min", (t) => {
  const backoff = new Backoff();
  delays(t, backoff, 3);
  backoff.reset();
  assert.deepEqual(delays(t, backoff, 1), [500]);
});
