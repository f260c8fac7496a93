// Answers xterm.js gives to queries in replayed output must not reach the process.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ReplayGuard, isTerminalResponse } from "../src/terminal/replay-guard.js";

test("terminal answers are recognised", () => {
  for (const answer of [
    "\x1b[12;40R", // cursor position
    "\x1b[?12;40R",
    "\x1b[?1;2c", // device attributes
    "\x1b[>0;276;0c",
    "\x1b[0n", // status
    "\x1b[?2004;1$y", // mode report
    "\x1b[8;24;80t", // window size
    "\x1b[?1u", // kitty keyboard flags
    "\x1b[I", // focus in
    "\x1b]11;rgb:1e1e/1e1e/1e1e\x07", // OSC colour, BEL-terminated
    "\x1b]10;rgb:ffff/ffff/ffff\x1b\\", // OSC colour, ST-terminated
    "\x1bP>|xterm.js(6.0.0)\x1b\\", // DCS (XTVERSION)
  ]) {
    assert.ok(isTerminalResponse(answer), JSON.stringify(answer));
  }
});

test("keystrokes are not answers", () => {
  for (const keys of ["a", "hello", "\r", "\x03", "\x1b", "\x1b[A", "\x1b[1;5D", "\x1b[3~", "\x1bOP", "\x1b[200~pasted\x1b[201~"]) {
    assert.ok(!isTerminalResponse(keys), JSON.stringify(keys));
  }
  // An answer with more after it is typed text, not an answer.
  assert.ok(!isTerminalResponse("\x1b[12;40Rx"));
});

test("answers are dropped only while a replayed chunk is being parsed", () => {
  const guard = new ReplayGuard();
  assert.equal(guard.shouldDrop("\x1b[1;1R"), false); // nothing written yet
  const replayDone = guard.enqueue(true);
  const liveDone = guard.enqueue(false);
  assert.equal(guard.shouldDrop("\x1b[1;1R"), true);
  assert.equal(guard.shouldDrop("a"), false); // typing during a replay still reaches the process
  replayDone();
  assert.equal(guard.shouldDrop("\x1b[1;1R"), false); // a live query's answer passes
  liveDone();
  assert.equal(guard.replaying, false);
});

test("the queue keeps its order across compaction", () => {
  const guard = new ReplayGuard();
  // Many chunks: live, then a replayed one deep in the queue.
  const live = Array.from({ length: 3000 }, () => guard.enqueue(false));
  const replayDone = guard.enqueue(true);
  guard.enqueue(false);
  for (const done of live) {
    assert.equal(guard.replaying, false);
    done();
  }
  assert.equal(guard.replaying, true);
  replayDone();
  assert.equal(guard.replaying, false);
});
