// TerminalView: one live session in an element: a status bar above an xterm.js
// terminal, fed by a transport (../transport/: connection.js, comm.js or
// auto.js). Shared by the notebook widget and the dashboard page.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { WebglAddon } from "@xterm/addon-webgl";

import { h } from "../common/dom.js";
import { droppedNotice, endNotice } from "../common/format.js";
import { isTerminalResponse } from "./replay-guard.js";
import { StatusBar } from "./statusbar.js";
import { OutputStream } from "./stream.js";
import { injectStyles } from "./styles.js";
import { readTheme, watchTheme } from "./theme.js";

/** @typedef {import("../types/session").Session} Session */
/** @typedef {import("../types/session").ServerMessage} ServerMessage */

const RESIZE_DEBOUNCE_MS = 60;
const encoder = new TextEncoder();

export class TerminalView {
  /**
   * @param {HTMLElement} parent where to mount
   * @param {object} options
   * @param {import("../types/session").Transport} options.transport
   * @param {Partial<Session>} [options.session] a (partial) session model shown until hello
   * @param {boolean} [options.sizeOwner=true] fit the PTY to this view; false
   *   for passive previews, which take the PTY's size instead
   * @param {boolean} [options.webgl=true] try the WebGL renderer
   */
  constructor(parent, { transport, session = {}, sizeOwner = true, webgl = true }) {
    injectStyles(parent.ownerDocument);
    this.transport = transport;
    this.sizeOwner = sizeOwner;
    this.disposed = false;
    this.ptySize = { cols: 0, rows: 0 }; // the PTY's size as the server last said
    this.boxSize = { cols: 0, rows: 0 }; // what fits this view's box, as last measured
    this.lastError = ""; // the error last shown in the terminal

    this.root = h("div", "ccm-term");
    // JupyterLab (Lumino) ignores its keyboard shortcuts inside this subtree,
    // so Ctrl+B, Esc, Shift+Enter... reach the terminal.
    this.root.setAttribute("data-lm-suppress-shortcuts", "true");
    this.root.ccmView = this; // handle for tests and debugging
    this.bar = new StatusBar(this.root);
    this.bar.setSession(session);
    const body = h("div", "ccm-body");
    this.host = h("div", "ccm-xterm");
    body.append(this.host);
    this.root.append(this.bar.el, body);
    parent.append(this.root);

    const look = readTheme(this.root);
    this.term = new Terminal({
      allowProposedApi: true, // term.unicode (Unicode 11 widths) is a proposed API
      fontFamily: look.fontFamily,
      fontSize: look.fontSize,
      theme: look.theme,
      scrollback: 10000,
      cursorBlink: true,
      rescaleOverlappingGlyphs: true,
    });
    this.fitAddon = new FitAddon();
    this.term.loadAddon(this.fitAddon);
    this.term.loadAddon(new WebLinksAddon());
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = "11";
    this.term.open(this.host);
    this._applyTheme(look);
    if (webgl) this._tryWebgl();

    this.stream = new OutputStream(this.term, (offset) => this.transport.send({ type: "ack", offset }));
    this.term.onData((data) => this._input(data, false));
    this.term.onBinary((data) => this._input(data, true));
    this._onFocus = () => this.fit(); // a request: it applies only if nobody owns the size
    this.term.textarea?.addEventListener("focus", this._onFocus);

    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.resizeTimer = undefined;
    this.observer = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1].contentRect;
      if (!box.width || !box.height) return; // hidden or detached: keep the last size
      clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => this.fit(), RESIZE_DEBOUNCE_MS);
    });
    this.observer.observe(this.host);
    this.stopTheme = watchTheme(() => this._applyTheme());

    transport.open({
      getOffset: () => this.stream.received,
      getStream: () => this.stream.streamId,
      onStatus: (status, why) => this._status(status, why),
      onMessage: (msg) => this._message(msg),
      onOutput: (bytes) => this.stream.push(bytes),
    });
  }

  focus() {
    this.term.focus();
  }

  /** The visible screen as text lines (for tests and debugging). */
  screenText() {
    const buffer = this.term.buffer.active;
    const lines = [];
    for (let y = 0; y < this.term.rows; y++) {
      lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? "");
    }
    return lines;
  }

  /**
   * Ask for the PTY to fit this view's box. The server applies it only for the
   * size owner (the viewer that last typed), or while nobody owns the size; the
   * terminal takes whatever size the server's `resize` answer says, so a view
   * that does not own the size shows the PTY's size inside its box (scrolled).
   * With `take` (the person types here), this view takes the size at once.
   * @param {boolean} [take]
   */
  fit(take = false) {
    if (this.disposed || !this.host.offsetWidth || !this.host.offsetHeight) return;
    let dims;
    try {
      dims = this.fitAddon.proposeDimensions();
    } catch {
      return; // Not rendered yet (no character metrics).
    }
    if (!dims || !(dims.cols > 1) || !(dims.rows > 1)) return;
    if (this.sizeOwner) {
      this.boxSize = { cols: dims.cols, rows: dims.rows };
      if (take && (dims.cols !== this.term.cols || dims.rows !== this.term.rows)) {
        this.term.resize(dims.cols, dims.rows);
      }
      this._sendSize(take);
    }
    this.term.refresh(0, this.term.rows - 1); // Re-attached elements may show a stale canvas.
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.resizeTimer);
    this.observer.disconnect();
    this.stopTheme();
    this.transport.close();
    this.term.textarea?.removeEventListener("focus", this._onFocus);
    try {
      this.webgl?.dispose();
    } catch {
      // The context may already be lost.
    }
    this.term.dispose();
    this.root.ccmView = null;
    this.root.remove();
  }

  /**
   * @param {string} data
   * @param {boolean} binary one byte per character (onBinary)
   */
  _input(data, binary) {
    // Answers xterm.js gives to queries in replayed history must not reach the process.
    if (this.stream.shouldDrop(data)) return;
    if (!isTerminalResponse(data)) this._claimSize(); // the person typing owns the size
    const bytes = binary ? latin1(data) : encoder.encode(data);
    this.transport.sendInput(bytes);
  }

  /** @param {ServerMessage} msg */
  _message(msg) {
    switch (msg.type) {
      case "hello": {
        /** @type {Partial<Session>} */
        const session = msg.session || {};
        const start = typeof msg.offset === "number" ? msg.offset : 0;
        this.bar.setError("");
        this.lastError = "";
        this.bar.setSession(session);
        this.ptySize = { cols: session.cols || 0, rows: session.rows || 0 };
        const replayEnd = typeof session.offset === "number" ? session.offset : start;
        if (msg.replay === "snapshot" && typeof msg.snapshot === "string") {
          // The screen as it is now, then its output: earlier output is gone
          // (`dropped`), which the bar says, as writing into the screen would spoil it.
          this.stream.snapshot(msg.snapshot, start, replayEnd);
          if (msg.dropped) this.bar.setNotice(droppedNotice(msg.reset));
        } else if (msg.reset && this.stream.started) this.stream.restart(start, replayEnd);
        else this.stream.begin(start, replayEnd);
        this.stream.streamId = typeof msg.stream === "string" ? msg.stream : "";
        this._followPty();
        if (this.sizeOwner) this.fit();
        break;
      }
      case "state":
        this.bar.setState(msg.state, msg.state_detail);
        break;
      case "session":
        this.bar.setSession(msg.session);
        break;
      case "resize":
        // The PTY's size (another viewer's, or the answer to our request): show it
        // until the person types here.
        this.ptySize = { cols: msg.cols, rows: msg.rows };
        this._followPty();
        break;
      case "exit": {
        const code = typeof msg.exit_code === "number" ? msg.exit_code : null;
        this.bar.setEnded(msg.reason, code);
        // The TUI may have left the alternate screen, odd attributes and a hidden
        // cursor mid-line: undo those first, so the notice reads on a line of its own.
        this.stream.notice(endNotice(msg.reason, code), undefined, "\x1b[?1049l\x1b[0m\x1b[?25h");
        break;
      }
      case "gap":
        this.stream.lost(msg.from, msg.to);
        break;
      case "snapshot":
        // This view fell out of the buffer: the screen at `offset`, then its output.
        this.stream.snapshot(msg.snapshot, msg.offset, msg.offset);
        this.bar.setNotice(droppedNotice(false));
        break;
      case "error": {
        // E.g. typing into an ended session: say it once, not per keystroke.
        const text = msg.message || msg.code || "error";
        this.bar.setError(text);
        if (text !== this.lastError) this.stream.notice(`[${text}]`);
        this.lastError = text;
        break;
      }
      default:
        break; // pong and future message types
    }
  }

  /**
   * @param {import("../types/session").ConnectionStatus} status
   * @param {string} [why]
   */
  _status(status, why) {
    this.bar.setConnection(status, why);
    if (status === "failed" && why) this.bar.setError(why);
  }

  _followPty() {
    const { cols, rows } = this.ptySize;
    if (cols > 0 && rows > 0 && (cols !== this.term.cols || rows !== this.term.rows)) {
      this.term.resize(cols, rows);
    }
  }

  /** The person types here: take the PTY to this view's size if it is not already. */
  _claimSize() {
    if (!this.sizeOwner) return;
    const { cols, rows } = this.boxSize;
    if (cols && this.ptySize.cols === cols && this.ptySize.rows === rows) return;
    this.fit(true);
  }

  /** @param {boolean} take */
  _sendSize(take) {
    const { cols, rows } = this.boxSize;
    if (cols === this.ptySize.cols && rows === this.ptySize.rows) return;
    this.transport.send(take ? { type: "resize", cols, rows, take: true } : { type: "resize", cols, rows });
  }

  _applyTheme(look = readTheme(this.root)) {
    if (this.disposed) return;
    this.root.classList.toggle("ccm-dark", look.dark);
    this.root.style.setProperty("--ccm-term-bg", look.theme.background);
    this.term.options.theme = look.theme;
    if (this.term.options.fontFamily !== look.fontFamily || this.term.options.fontSize !== look.fontSize) {
      this.term.options.fontFamily = look.fontFamily;
      this.term.options.fontSize = look.fontSize;
      this.fit();
    }
  }

  _tryWebgl() {
    // Optional: without WebGL2 (or once the browser reclaims the context, e.g.
    // with many terminals on a page) xterm.js keeps its DOM renderer.
    try {
      const addon = new WebglAddon();
      addon.onContextLoss(() => {
        addon.dispose();
        if (this.webgl === addon) this.webgl = null;
      });
      this.term.loadAddon(addon);
      this.webgl = addon;
    } catch {
      this.webgl = null;
    }
  }
}

/**
 * onBinary strings carry one byte per character (mouse reports in X10 mode).
 * @param {string} data
 */
function latin1(data) {
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
  return bytes;
}
