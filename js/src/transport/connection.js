// The WebSocket transport to the server's session socket, with reconnects.
//
// Every transport (this one, CommTransport, AutoTransport) has the same shape,
// so TerminalView does not care how the bytes travel:
//
//   open(handlers)   start connecting; handlers:
//                      getOffset()            offset to resume from, asked on every (re)connect
//                      getStream()            the stream id that offset counts in ("" for none)
//                      onStatus(status, why)  "connecting" | "connected" | "offline" | "failed"
//                      onMessage(msg)         a protocol object: hello, state, resize, exit,
//                                             error, gap, session, pong
//                      onOutput(bytes)        raw PTY bytes (Uint8Array), contiguous
//   send(msg)        a protocol object (resize, ack, ping); false if not connected
//   sendInput(bytes) raw input bytes (Uint8Array); false if not connected
//   close()          stop for good

import { Backoff } from "./backoff.js";

/** @typedef {import("../types/session").Transport} Transport */
/** @typedef {import("../types/session").TransportHandlers} TransportHandlers */

// Errors after which retrying cannot help: the session is gone or not ours,
// or (comm relay) the kernel cannot find the server.
export const FATAL_CODES = new Set([
  "NOT_FOUND", "SESSION_NOT_FOUND", "FORBIDDEN", "UNAUTHORIZED", "NO_CONNECTION",
]);

const PING_EVERY = 25000;
const DEAD_AFTER = 65000; // no frame at all for this long: the socket is dead

/** @implements {Transport} */
export class WebSocketTransport {
  /** @param {(offset: number, stream: string) => string} urlFor the socket URL resuming at `offset` of `stream` */
  constructor(urlFor) {
    this.urlFor = urlFor;
    this.backoff = new Backoff();
    /** @type {WebSocket | null} */
    this.ws = null;
    this.ready = false; // hello received on the current socket
    this.closed = false;
    this.failures = 0; // consecutive attempts that never got a hello
    this.everConnected = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    this.lastFrame = 0;
    this._onOnline = () => this._retryNow();
    /** @type {TransportHandlers} */
    this.h = /** @type {any} */ (null); // set by open(), before anything reads it
  }

  /** @param {TransportHandlers} handlers */
  open(handlers) {
    this.h = handlers;
    window.addEventListener("online", this._onOnline);
    this._connect();
  }

  /** @param {import("../types/session").ClientMessage} msg */
  send(msg) {
    if (!this.ready || !this.ws) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** @param {Uint8Array<ArrayBuffer>} bytes */
  sendInput(bytes) {
    if (!this.ready || !this.ws) return false;
    this.ws.send(bytes);
    return true;
  }

  close() {
    this.closed = true;
    window.removeEventListener("online", this._onOnline);
    clearTimeout(this.retryTimer);
    this._drop(1000, "view closed");
  }

  _connect() {
    if (this.closed) return;
    this.h.onStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.urlFor(this.h.getOffset(), this.h.getStream?.() || ""));
    } catch (err) {
      this._lost(String(err));
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.ready = false;
    this.lastFrame = Date.now();
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      this.lastFrame = Date.now();
      if (typeof ev.data !== "string") {
        this.h.onOutput(new Uint8Array(ev.data));
        return;
      }
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return; // Not ours to interpret; a broken frame must not kill the view.
      }
      if (msg.type === "hello") this._hello();
      if (msg.type === "error" && FATAL_CODES.has(msg.code)) this._fatal(msg);
      this.h.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this._lost(ev.reason || (ev.code !== 1000 && ev.code !== 1005 ? `code ${ev.code}` : ""));
    };
  }

  _hello() {
    this.ready = true;
    this.failures = 0;
    this.everConnected = true;
    this.backoff.reset();
    this.h.onStatus("connected");
    clearInterval(this.pingTimer);
    // Pings keep proxies (JupyterHub, nginx) from closing a quiet socket and
    // let us notice a dead one that never reports a close.
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrame > DEAD_AFTER) this._drop(4000, "no response", true);
      else this.send({ type: "ping" });
    }, PING_EVERY);
  }

  /** @param {{code?: string, message?: string}} msg */
  _fatal(msg) {
    this.closed = true;
    this.h.onStatus("failed", msg.message || msg.code);
  }

  /**
   * Forget the current socket; with `reconnect`, start over.
   * @param {number} code the close code
   * @param {string} reason
   */
  _drop(code, reason, reconnect = false) {
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    clearInterval(this.pingTimer);
    if (ws) {
      ws.onmessage = ws.onclose = null;
      try {
        ws.close(code, reason);
      } catch {
        // Already closing.
      }
    }
    if (reconnect) this._lost(reason);
  }

  /** @param {string} reason */
  _lost(reason) {
    this.ready = false;
    clearInterval(this.pingTimer);
    if (this.closed) return;
    this.failures += 1;
    this.h.onStatus("offline", reason);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), this.backoff.next());
  }

  _retryNow() {
    if (this.closed || this.ws) return;
    clearTimeout(this.retryTimer);
    this.backoff.reset();
    this._connect();
  }
}
