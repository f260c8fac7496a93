// Writes a session's output stream into xterm.js and keeps its byte offsets.
//
// Offsets are absolute positions in the session's output (the server's
// `offset`). `received` is the offset just after the last byte received: a
// reconnect asks for `?offset=received`, so nothing is lost or duplicated.
// `processed` is how far xterm.js has parsed; acks report it, so the server
// never runs more than its window ahead of what the browser has digested.

import { formatBytes } from "../common/format.js";
import { ReplayGuard } from "./replay-guard.js";

const ACK_EVERY = 64 * 1024;

export class OutputStream {
  /**
   * @param {Pick<import("@xterm/xterm").Terminal, "write"> & {buffer?: import("@xterm/xterm").Terminal["buffer"]}} term
   * @param {(offset: number) => void} sendAck
   */
  constructor(term, sendAck) {
    this.term = term;
    this.sendAck = sendAck;
    this.guard = new ReplayGuard();
    this.started = false;
    this.received = 0;
    this.processed = 0;
    this.lastAck = 0;
    this.replayEnd = 0; // bytes before this offset are history, not live output
    this.noticedTo = 0; // losses up to here were already announced
    this.skip = 0;
    this.streamId = ""; // the server's name for the byte stream these offsets count in
  }

  /**
   * A connection said hello: output continues at `start`. On the first hello,
   * bytes before `replayEnd` (the session's total then) are replayed history,
   * whose query answers are dropped here. On a reconnect, what follows is
   * output this view missed while offline: a query in it may be live (the
   * program waits), so its answers go to the server, which passes only answers
   * to queries still open (server/queries.py) and drops the rest.
   * @param {number} start
   * @param {number} replayEnd
   */
  begin(start, replayEnd) {
    if (!this.started) {
      this.started = true;
      this.received = this.processed = this.lastAck = start;
      this.replayEnd = Math.max(replayEnd || 0, start);
    } else if (start > this.received) {
      this.lost(this.received, start, "it left the replay buffer while disconnected");
    }
    // A server that restarts earlier than asked would duplicate output: skip it.
    this.skip = Math.max(0, this.received - start);
    this.lastAck = start;
    this.sendAck(start); // Tells the server this client acks: flow control starts now.
  }

  /**
   * A hello with `reset`: this view's offsets do not belong to the session's stream
   * (the server restarted and its saved output may end before what was shown here).
   * Start over: clear the terminal, say why, and take the output from `start`
   * as a fresh view would (its replayed queries are history).
   * @param {number} start
   * @param {number} replayEnd
   */
  restart(start, replayEnd) {
    this.received = this.processed = this.lastAck = this.noticedTo = start;
    this.skip = 0;
    this.replayEnd = Math.max(replayEnd || 0, start);
    const done = this.guard.enqueue(false);
    this.term.write("\x1bc", done); // RIS: the old screen belongs to the old offsets
    this.notice("[the server restarted: the session's saved output follows; what it printed just before may be missing]");
    this.sendAck(start);
  }

  /**
   * A hello with `replay: "snapshot"`: the server sent its screen as escape
   * sequences (starting with RIS) standing for the output up to `start`, because
   * what this view asked for has left the replay buffer (or it asked for the
   * screen). The raw bytes from `start` follow. Its own query answers, if any,
   * are replay; a reconnected view keeps its `replayEnd` (what follows is live).
   * @param {string} screen
   * @param {number} start
   * @param {number} replayEnd
   */
  snapshot(screen, start, replayEnd) {
    const first = !this.started;
    this.started = true;
    this.received = this.processed = this.lastAck = this.noticedTo = start;
    this.skip = 0;
    if (first) this.replayEnd = Math.max(replayEnd || 0, start);
    const done = this.guard.enqueue(true);
    this.term.write(screen, done);
    this.sendAck(start); // Tells the server this client acks: flow control starts now.
  }

  /**
   * Raw PTY bytes that follow what was received so far.
   * @param {Uint8Array} bytes
   */
  push(bytes) {
    if (this.skip) {
      const n = Math.min(this.skip, bytes.length);
      this.skip -= n;
      bytes = bytes.subarray(n);
      if (!bytes.length) return;
    }
    const start = this.received;
    const end = start + bytes.length;
    this.received = end;
    if (start < this.replayEnd && end > this.replayEnd) {
      // Split so that the live part's query answers are not dropped.
      const cut = this.replayEnd - start;
      this._write(bytes.subarray(0, cut), true, this.replayEnd);
      this._write(bytes.subarray(cut), false, end);
    } else {
      this._write(bytes, start < this.replayEnd, end);
    }
  }

  /**
   * Bytes `from`..`to` will never arrive (this view fell out of the replay buffer).
   * @param {number} from
   * @param {number} to
   * @param {string} [why]
   */
  lost(from, to, why = "this view fell behind the server's replay buffer") {
    if (to <= this.noticedTo || to <= from) return;
    this.noticedTo = to;
    this.received = Math.max(this.received, to);
    this.notice(`[${formatBytes(to - from)} of output skipped: ${why}]`, to);
  }

  /**
   * A dim line of our own in the terminal (not part of the session's output).
   * With `reset` (e.g. leave the alternate screen, plain attributes), those
   * sequences go first and the line starts fresh only if the cursor is not at
   * a line's start already; else it follows a newline.
   * @param {string} text
   * @param {number} [processedTo] the offset that counts as processed once it is written
   * @param {string} [reset] sequences written before the notice
   */
  notice(text, processedTo, reset = "") {
    const done = this.guard.enqueue(false);
    const line = (/** @type {string} */ fresh) =>
      this.term.write(`${fresh}\x1b[0;2m${text}\x1b[0m\r\n`, () => {
        done();
        if (processedTo !== undefined) this._processedTo(processedTo);
      });
    if (!reset) {
      line("\r\n");
      return;
    }
    this.term.write(reset, () => line(this.term.buffer?.active?.cursorX === 0 ? "" : "\r\n"));
  }

  /**
   * True when an onData string must not reach the process (an answer to a replayed query).
   * @param {string} data
   */
  shouldDrop(data) {
    return this.guard.shouldDrop(data);
  }

  /**
   * @param {Uint8Array} bytes
   * @param {boolean} isReplay
   * @param {number} end the offset after these bytes
   */
  _write(bytes, isReplay, end) {
    const done = this.guard.enqueue(isReplay);
    this.term.write(bytes, () => {
      done();
      this._processedTo(end);
    });
  }

  /** @param {number} end */
  _processedTo(end) {
    if (end > this.processed) this.processed = end;
    const drained = this.processed >= this.received;
    if (this.processed > this.lastAck && (drained || this.processed - this.lastAck >= ACK_EVERY)) {
      this.lastAck = this.processed;
      this.sendAck(this.processed);
    }
  }
}
