// xterm.js's CSS and ours, in one <style> per document (see setStyle for why
// not a stylesheet file).

import xtermCss from "@xterm/xterm/css/xterm.css";
import { setStyle } from "../common/dom.js";
import ownCss from "./styles.css";

const STYLE_ID = "jupyter-ccmanager-terminal-styles";
const CSS = `${xtermCss}\n${ownCss}`;

/** @param {Document} [doc] */
export function injectStyles(doc = document) {
  setStyle(doc, STYLE_ID, CSS);
}
