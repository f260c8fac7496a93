// How session facts read in the status bar and the dashboard rows.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ago, endNotice, formatBytes, shortPath, stateLabel } from "../src/common/format.js";

test("stateLabel: people's words for states, unknown ones as they are", () => {
  assert.equal(stateLabel("waiting", null), "waiting for you");
  assert.equal(stateLabel("idle", 3), "idle"); // an exit code only means something once exited
  assert.equal(stateLabel("hibernating", null), "hibernating");
});

test("stateLabel: how an exited session ended, only when it was not a plain exit", () => {
  assert.equal(stateLabel("exited", 0), "exited");
  assert.equal(stateLabel("exited", 137), "exited (code 137)");
  assert.equal(stateLabel("exited", -9), "killed (signal 9)");
  assert.equal(stateLabel("exited", null), "exited");
  assert.equal(stateLabel("exited", undefined), "exited");
});

test("stateLabel: a stopped or deleted session is no crash, whatever signal ended it", () => {
  assert.equal(stateLabel("stopped", -1), "stopped");
  assert.equal(stateLabel("stopped", -9), "stopped");
  assert.equal(stateLabel("deleted", -9), "deleted");
});

test("endNotice: the terminal's last line says why the process ended", () => {
  assert.equal(endNotice("stopped", -1), "[session stopped; resume it to continue]");
  assert.equal(endNotice("deleted", -9), "[session deleted]");
  assert.equal(endNotice("exited", 0), "[process exited]");
  assert.equal(endNotice("exited", 3), "[process exited with code 3]");
  assert.equal(endNotice("exited", -15), "[process killed by signal 15]");
  assert.equal(endNotice(undefined, null), "[process exited]"); // an older server
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
