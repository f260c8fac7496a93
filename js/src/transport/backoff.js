// Reconnect delays: 0.5 s doubling to 5 s, with jitter so that many views of a
// restarted server do not all reconnect in the same instant.

export class Backoff {
  /** @param {{min?: number, max?: number}} [range] the first and the longest delay, in milliseconds */
  constructor({ min = 500, max = 5000 } = {}) {
    this.min = min;
    this.max = max;
    this.attempt = 0;
  }

  /** The delay before the next attempt, in milliseconds. */
  next() {
    const base = Math.min(this.max, this.min * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset() {
    this.attempt = 0;
  }
}
