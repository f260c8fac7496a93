// xterm.js's CSS and ours, in one <style> per document (see setStyle for why
// not a stylesheet file).

import xtermCss from "@xterm/xterm/css/xterm.css";
import { setStyle } from "../common/dom.js";
import ownCss from "./styles.raw.css";

const STYLE_ID = "jupyter-ccmanager-terminal-styles";
// Under JupyterLab's webpack build (the Lab extension) only `.raw.css` files
// import as text; xterm.css goes through style-loader, which injects it itself
// and exports no string.
const CSS = [xtermCss, ownCss].filter((css) => typeof css === "string").join("\n");

/** @param {Document} [doc] */
export function injectStyles(doc = document) {
  setStyle(doc, STYLE_ID, CSS);
}
