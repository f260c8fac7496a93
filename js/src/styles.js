// Injects xterm.js's CSS and ours once per document (the widget bundle is an
// ES module loaded by anywidget, so it cannot ship a stylesheet file).

import xtermCss from "@xterm/xterm/css/xterm.css";
import ownCss from "./styles.css";

const STYLE_ID = "jupyter-ccmanager-terminal-styles";
const CSS = `${xtermCss}\n${ownCss}`;

export function injectStyles(doc = document) {
  let style = doc.getElementById(STYLE_ID);
  if (!style) {
    style = doc.createElement("style");
    style.id = STYLE_ID;
    doc.head.appendChild(style);
  }
  // A newer bundle loaded into the same page (widget re-run) replaces the old CSS.
  if (style.textContent !== CSS) style.textContent = CSS;
}
