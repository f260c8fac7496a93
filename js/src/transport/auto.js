// transport="auto": try the server's WebSocket (the page's Jupyter server);
// if it never says hello (the extension is not on that server, or the socket
// is blocked), switch to the kernel comm relay. Same shape as the transports
// it wraps (see connection.js).

/** @typedef {import("../types/session").Transport} Transport */
/** @typedef {import("../types/session").TransportHandlers} TransportHandlers */
/** @typedef {Transport & {everConnected: boolean, failures: number}} Primary what is asked of the socket */

const FAILURES_BEFORE_FALLBACK = 3;

/** @implements {Transport} */
export class AutoTransport {
  /**
   * @param {Primary} primary a WebSocketTransport
   * @param {() => Transport} makeFallback creates the fallback transport when needed
   */
  constructor(primary, makeFallback) {
    this.primary = primary;
    this.makeFallback = makeFallback;
    /** @type {Transport} */
    this.current = primary;
    /** @type {TransportHandlers} */
    this.h = /** @type {any} */ (null); // set by open(), before anything reads it
  }

  /** @param {TransportHandlers} handlers */
  open(handlers) {
    this.h = handlers;
    const live = () => this.current === this.primary; // ignore a socket we gave up on
    this.primary.open({
      ...handlers,
      onMessage: (msg) => live() && handlers.onMessage(msg),
      onOutput: (bytes) => live() && handlers.onOutput(bytes),
      onStatus: (status, why) => {
        const hopeless =
          !this.primary.everConnected &&
          (status === "failed" || (status === "offline" && this.primary.failures >= FAILURES_BEFORE_FALLBACK));
        if (live() && hopeless) this._fallBack();
        else handlers.onStatus(status, why);
      },
    });
  }

  /** @param {import("../types/session").ClientMessage} msg */
  send(msg) {
    return this.current.send(msg);
  }

  /** @param {Uint8Array<ArrayBuffer>} bytes */
  sendInput(bytes) {
    return this.current.sendInput(bytes);
  }

  close() {
    this.current.close();
  }

  _fallBack() {
    this.primary.close();
    this.current = this.makeFallback();
    this.current.open(this.h);
  }
}
