// transport="auto": try the server's WebSocket (the page's Jupyter server);
// if it never says hello (the extension is not on that server, or the socket
// is blocked), switch to the kernel comm relay. Same shape as the transports
// it wraps (see connection.js).

const FAILURES_BEFORE_FALLBACK = 3;

export class AutoTransport {
  /**
   * @param {import("./connection.js").WebSocketTransport} primary
   * @param {() => object} makeFallback creates the fallback transport when needed
   */
  constructor(primary, makeFallback) {
    this.primary = primary;
    this.makeFallback = makeFallback;
    this.current = primary;
  }

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

  send(msg) {
    return this.current.send(msg);
  }

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
