// The session protocol relayed by the kernel over the widget's comm, for front
// ends without a Jupyter page config (VS Code, Colab...) where the browser
// cannot open the server's socket itself. Same shape as WebSocketTransport
// (see connection.js).
//
// Kernel messages reach every view of a widget model, so each view tags what
// it sends with its own `view` id and ignores messages tagged for other views.
//   view -> kernel: {type:"connect", view, offset}, {type:"input", view} + one
//                   buffer of raw bytes, {type:"resize"|"ack"|"ping", view, ...},
//                   {type:"disconnect", view}
//   kernel -> view: the server's JSON messages plus `view`; output as
//                   {type:"output", view} + one buffer; {type:"closed", view, reason}
//                   when the kernel's socket to the server ended.

import { Backoff } from "./backoff.js";
import { FATAL_CODES } from "./connection.js";

/** @typedef {import("../types/session").Transport} Transport */
/** @typedef {import("../types/session").TransportHandlers} TransportHandlers */
/**
 * @typedef {(import("../types/session").ServerMessage | {type: "output"} | {type: "closed", reason?: string})
 *   & {view?: string}} RelayedMessage
 */
/** @typedef {Pick<import("@anywidget/types").AnyModel, "send" | "on" | "off">} Model what is used of the widget's model */

/** @implements {Transport} */
export class CommTransport {
  /** @param {Model} model the anywidget model */
  constructor(model) {
    this.model = model;
    this.viewId = randomId();
    this.backoff = new Backoff();
    this.ready = false;
    this.closed = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {TransportHandlers} */
    this.h = /** @type {any} */ (null); // set by open(), before anything reads it
    /** @type {(msg: any, buffers: DataView[]) => void} */
    this._onMsg = (msg, buffers) => this._receive(msg, buffers);
  }

  /** @param {TransportHandlers} handlers */
  open(handlers) {
    this.h = handlers;
    this.model.on("msg:custom", this._onMsg);
    this._connect();
  }

  /** @param {import("../types/session").ClientMessage} msg */
  send(msg) {
    if (!this.ready) return false;
    this.model.send({ ...msg, view: this.viewId });
    return true;
  }

  /** @param {Uint8Array<ArrayBuffer>} bytes */
  sendInput(bytes) {
    if (!this.ready) return false;
    this.model.send({ type: "input", view: this.viewId }, undefined, [bytes]);
    return true;
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    clearTimeout(this.retryTimer);
    this.model.off("msg:custom", this._onMsg);
    try {
      this.model.send({ type: "disconnect", view: this.viewId });
    } catch {
      // The comm may already be gone (kernel shut down).
    }
  }

  _connect() {
    if (this.closed) return;
    this.ready = false;
    this.h.onStatus("connecting");
    const stream = this.h.getStream?.() || "";
    const connect = { type: "connect", view: this.viewId, offset: this.h.getOffset() };
    this.model.send(stream ? { ...connect, stream } : connect);
  }

  /**
   * @param {RelayedMessage | null | undefined} msg from the kernel
   * @param {ArrayBuffer[] | ArrayBufferView[] | undefined} buffers
   */
  _receive(msg, buffers) {
    if (this.closed || !msg || typeof msg !== "object") return;
    if (msg.view !== undefined && msg.view !== this.viewId) return;
    switch (msg.type) {
      case "output":
        // Output of a socket this view has already replaced is dropped.
        if (this.ready && buffers?.length) this.h.onOutput(toBytes(buffers[0]));
        return;
      case "closed":
        this._lost(msg.reason || "");
        return;
      case "hello":
        this.ready = true;
        this.backoff.reset();
        this.h.onStatus("connected");
        break;
      case "error":
        if (FATAL_CODES.has(msg.code ?? "")) {
          this.closed = true;
          this.h.onStatus("failed", msg.message || msg.code);
        }
        break;
      default:
        break;
    }
    this.h.onMessage(msg);
  }

  /** @param {string} reason */
  _lost(reason) {
    this.ready = false;
    if (this.closed) return;
    this.h.onStatus("offline", reason);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), this.backoff.next());
  }
}

/** @param {ArrayBuffer | ArrayBufferView} buffer */
function toBytes(buffer) {
  if (buffer instanceof Uint8Array) return buffer;
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return new Uint8Array(buffer);
}

function randomId() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
