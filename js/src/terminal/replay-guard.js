// Replaying old output must never type into the process.
//
// Old output can hold terminal queries (cursor position, device attributes,
// colour queries...). xterm.js answers every query it parses by emitting the
// answer through onData, exactly like a keystroke. For replayed bytes the
// question was asked long ago (and answered then), so such answers must be
// dropped. Answers to live queries must pass: programs wait for them.
//
// xterm.js parses written chunks strictly in order and runs a chunk's write
// callback right after parsing it, and it emits answers synchronously while
// parsing. So a FIFO of "is this chunk replay?" flags, pushed on write and
// shifted in the callback, says at any moment whether the chunk being parsed
// is replay.
//
// The server filters too (server/queries.py): it passes an answer only while a
// query of its kind is open, once. So this guard only covers the history a view
// replays on its first connect; output caught up after a reconnect counts as
// live here (see OutputStream.begin), and the server drops what is not.

// Whole-string patterns of what xterm.js sends as answers (never a keystroke,
// except that Shift+F3 also looks like a cursor report; dropping one of those
// during a replay is harmless).
const RESPONSES = [
  /^\x1b\[\??\d*(;\d*)*R$/, // CPR / DECXCPR: cursor position report
  /^\x1b\[[?>=]?[\d;]*c$/, // DA1 / DA2 / DA3 device attributes
  /^\x1b\[\??\d*n$/, // DSR status ("ok")
  /^\x1b\[\??[\d;]*\$y$/, // DECRQM mode report
  /^\x1b\[[\d;]*t$/, // window ops reports (size in cells / pixels)
  /^\x1b\[\?\d*u$/, // kitty keyboard flags report
  /^\x1b\[[IO]$/, // focus in / out
  /^\x1b\][\s\S]*(\x07|\x1b\\)$/, // OSC answers (colour queries)
  /^\x1bP[\s\S]*\x1b\\$/, // DCS answers (DECRQSS, XTVERSION, ...)
];

/**
 * True when `data` (an onData string) is a terminal's answer to a query.
 * @param {string} data
 */
export function isTerminalResponse(data) {
  return RESPONSES.some((re) => re.test(data));
}

/** Tracks whether xterm.js is currently parsing replayed bytes. */
export class ReplayGuard {
  constructor() {
    /** @type {boolean[]} */
    this._queue = [];
    this._head = 0;
  }

  /**
   * Call when handing a chunk to term.write; returns the callback to chain.
   * @param {boolean} isReplay
   */
  enqueue(isReplay) {
    this._queue.push(isReplay);
    return () => this._dequeue();
  }

  /** True while the chunk being parsed is replay. */
  get replaying() {
    return this._head < this._queue.length && this._queue[this._head];
  }

  /**
   * True when `data` from onData must not reach the process.
   * @param {string} data
   */
  shouldDrop(data) {
    return this.replaying && isTerminalResponse(data);
  }

  _dequeue() {
    this._head += 1;
    // Compact now and then instead of shift() on every chunk.
    if (this._head > 1024 && this._head * 2 > this._queue.length) {
      this._queue = this._queue.slice(this._head);
      this._head = 0;
    }
  }
}
