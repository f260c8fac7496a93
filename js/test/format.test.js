// How session facts read in the status bar and the dashboard rows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ago, formatBytes, shortPath, stateLabel } from "../src/common/format.js";

test("stateLabel: people's words for states, unknown ones as they are", () => {
  assert.equal(stateLabel("waiting", null), "waiting for you");
  assert.equal(stateLabel("idle", 3), "idle"); // an exit code only means something once exited
  assert.equal(stateLabel("hibernating", null), "hibernating");
});

test("stateLabel: an exited session shows its exit code, when known", () => {
  assert.equal(stateLabel("exited", 0), "exited (0)");
  assert.equal(stateLabel("exited", 137), "exited (137)");
  assert.equal(stateLabel("exited", null), "exited");
  assert.equal(stateLabel("exited", undefined), "exited");
});

test("shortPath keeps the last two parts of long paths", () => {
  assert.equal(shortPath("/home/me/src/project/sub"), "…/project/sub");
  assert.equal(shortPath("/home/me/"), "/home/me/");
  assert.equal(shortPath("project/sub"), "project/sub");
  assert.equal(shortPath(""), "");
});

test("ago rounds to the largest whole unit", () => {
  assert.equal(ago(-5000), "just now"); // a clock a little ahead of ours
  assert.equal(ago(4400), "just now");
  assert.equal(ago(5000), "5 s ago");
  assert.equal(ago(59_000), "59 s ago");
  assert.equal(ago(60_000), "1 min ago");
  assert.equal(ago(3_599_000), "59 min ago");
  assert.equal(ago(2 * 3_600_000 + 1), "2 h ago");
  assert.equal(ago(3 * 86_400_000), "3 d ago");
});

test("formatBytes: bytes, then KiB and MiB with one decimal", () => {
  assert.equal(formatBytes(0), "0 bytes");
  assert.equal(formatBytes(1023), "1023 bytes");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(8 * 1024 * 1024), "8.0 MiB");
});
