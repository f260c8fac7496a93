// OutputStream: offsets, acks, replay flags and losses, against a stand-in for
// xterm.js that parses (runs write callbacks) only when the test says so, as
// the real one does asynchronously.
import assert from "node:assert/strict";
import { test } from "node:test";

import { OutputStream } from "../src/terminal/stream.js";

const DSR = "\x1b[1;1R"; // a cursor report, as xterm.js answers a query

class FakeTerm {
  constructor() {
    /** @type {{data: string | Uint8Array, done: () => void}[]} */
    this.pending = [];
    this.parsed = [];
    this.stream = null;
    this.droppedWhileParsing = [];
  }

  write(data, done) {
    this.pending.push({ data, done });
  }

  /** Parse the next `n` chunks; note whether an answer emitted during each would be dropped. */
  parse(n = this.pending.length) {
    for (const { data, done } of this.pending.splice(0, n)) {
      this.parsed.push(typeof data === "string" ? data : new TextDecoder().decode(data));
      this.droppedWhileParsing.push(this.stream.shouldDrop(DSR));
      done();
    }
  }
}

function setup() {
  const term = new FakeTerm();
  const acks = [];
  const stream = new OutputStream(term, (offset) => acks.push(offset));
  term.stream = stream;
  return { term, acks, stream };
}

const bytes = (text) => new TextEncoder().encode(text);

test("hello acks its start offset; output advances `received` at once, `processed` once parsed", () => {
  const { term, acks, stream } = setup();
  stream.begin(100, 100);
  assert.deepEqual(acks, [100]);
  stream.push(bytes("hello"));
  assert.equal(stream.received, 105);
  assert.equal(stream.processed, 100);
  term.parse();
  assert.equal(stream.processed, 105);
  assert.deepEqual(acks, [100, 105]); // drained: ack what was parsed
  assert.deepEqual(term.parsed, ["hello"]);
});

test("a chunk spanning the end of the replay is split: answers to the live part pass", () => {
  const { term, stream } = setup();
  stream.begin(0, 4); // bytes 0..4 are history
  stream.push(bytes("old!new"));
  term.parse();
  assert.deepEqual(term.parsed, ["old!", "new"]);
  assert.deepEqual(term.droppedWhileParsing, [true, false]);
});

test("output after the replay is live", () => {
  const { term, stream } = setup();
  stream.begin(0, 3);
  stream.push(bytes("old"));
  stream.push(bytes("new"));
  term.parse();
  assert.deepEqual(term.droppedWhileParsing, [true, false]);
});

test("after a reconnect, output missed while offline is live: its answers go to the server", () => {
  const { term, stream } = setup();
  stream.begin(0, 3); // first hello: 3 bytes of history
  stream.push(bytes("old"));
  stream.begin(3, 9); // reconnect: 6 bytes were written while offline (a query among them)
  stream.push(bytes("missed"));
  term.parse();
  assert.deepEqual(term.droppedWhileParsing, [true, false]);
});

test("a reconnect during the first replay keeps the rest of that history replay", () => {
  const { term, stream } = setup();
  stream.begin(0, 6);
  stream.push(bytes("old"));
  stream.begin(3, 8);
  stream.push(bytes("er!!!"));
  term.parse();
  assert.deepEqual(term.droppedWhileParsing, [true, true, false]);
});

test("a reconnect that restarts earlier than asked skips what was already received", () => {
  const { term, stream } = setup();
  stream.begin(0, 0);
  stream.push(bytes("abcdef"));
  stream.begin(4, 6); // the server resent from 4: "ef" again, then more
  stream.push(bytes("efgh"));
  term.parse();
  assert.deepEqual(term.parsed, ["abcdef", "gh"]);
  assert.equal(stream.received, 8);
});

test("a reconnect past what was received announces the loss once", () => {
  const { term, stream } = setup();
  stream.begin(0, 0);
  stream.push(bytes("abc"));
  stream.begin(3 + 2048, 3 + 2048);
  stream.lost(3, 3 + 2048); // the same loss, as a gap message: not again
  term.parse();
  assert.equal(term.parsed.length, 2);
  assert.match(term.parsed[1], /\[2\.0 KiB of output skipped: it left the replay buffer while disconnected\]/);
  assert.equal(stream.received, 3 + 2048);
});

test("while xterm.js lags, acks come every 64 KiB, not per chunk", () => {
  const { term, acks, stream } = setup();
  stream.begin(0, 0);
  const chunk = new Uint8Array(16 * 1024);
  for (let i = 0; i < 8; i++) stream.push(chunk);
  term.parse(3); // 48 KiB of 128 parsed: below the step, not drained
  assert.deepEqual(acks, [0]);
  term.parse(1);
  assert.deepEqual(acks, [0, 64 * 1024]);
  term.parse();
  assert.deepEqual(acks, [0, 64 * 1024, 128 * 1024]);
});

test("a notice counts as processed up to the loss it announces", () => {
  const { term, acks, stream } = setup();
  stream.begin(0, 0);
  stream.lost(0, 500, "test");
  assert.equal(stream.received, 500);
  term.parse();
  assert.deepEqual(acks, [0, 500]);
  assert.match(term.parsed[0], /500 bytes of output skipped: test/);
});

test("an end notice resets the terminal first, then starts a fresh line only mid-line", () => {
  for (const [cursorX, fresh] of [[0, ""], [7, "\r\n"]]) {
    const { term, stream } = setup();
    term.buffer = { active: { cursorX } };
    stream.begin(0, 0);
    stream.notice("[session stopped]", undefined, "\x1b[?1049l\x1b[0m");
    term.parse(); // the reset, parsed before the cursor is read
    term.parse(); // the notice
    assert.deepEqual(term.parsed, ["\x1b[?1049l\x1b[0m", `${fresh}\x1b[0;2m[session stopped]\x1b[0m\r\n`]);
  }
});

test("a snapshot hello writes the screen (as replay) and offsets continue at its start", () => {
  const { term, acks, stream } = setup();
  stream.snapshot("\x1bcSCREEN", 5000, 5100);
  assert.equal(stream.received, 5000);
  assert.deepEqual(acks, [5000]);
  stream.push(bytes("tail"));
  term.parse();
  assert.deepEqual(term.parsed, ["\x1bcSCREEN", "tail"]);
  assert.deepEqual(term.droppedWhileParsing, [true, true]); // both before the session's end then
  assert.equal(stream.processed, 5004);
});

test("a snapshot on a reconnect replaces the screen; what follows stays live", () => {
  const { term, stream } = setup();
  stream.begin(0, 3);
  stream.push(bytes("old"));
  stream.snapshot("\x1bcNOW", 9000, 9000);
  stream.push(bytes("new"));
  term.parse();
  assert.deepEqual(term.parsed, ["old", "\x1bcNOW", "new"]);
  assert.deepEqual(term.droppedWhileParsing, [true, true, false]);
  assert.equal(stream.received, 9003);
});
