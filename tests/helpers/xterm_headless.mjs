// Feeds bytes to headless xterm.js terminals and prints what each one shows, as JSON.
//
// The tests' stand-in for a browser viewer: the same parser and buffer code as the
// views' @xterm/xterm, without a DOM. Input on stdin:
//   {"terms": [{"cols": C, "rows": R, "chunks": ["<base64>", ...]}, ...]}
// Output on stdout, one object per terminal:
//   {"cells": [["<char>", "<attrs>"] per column] per row,
//    "text": [row strings], "buffer": "normal" | "alternate",
//    "cursor": {"x", "y", "hidden"}, "modes": {...}, "title": "..."}
// <attrs> names the colours (mode and value) and flags of a cell, so two cells
// compare equal exactly when they look the same. Run by tests/helpers/xterm.py.

import { createRequire } from "node:module";

const require = createRequire(new URL("../../js/package.json", import.meta.url));
const { Terminal } = require("@xterm/headless");

function readStdin() {
  return new Promise((resolve) => {
    const parts = [];
    process.stdin.on("data", (d) => parts.push(d));
    process.stdin.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
  });
}

// A blank cell looks the same whatever its foreground colour, weight or slant (an
// emulator may store the pen it was erased with): only what shows on a blank counts.
function attrs(cell) {
  const chars = cell.getChars();
  if ((chars === "" || chars === " ") && !cell.isInverse()) {
    const bg = cell.isBgDefault() ? "-" : `${cell.getBgColorMode()}:${cell.getBgColor()}`;
    const flags = [cell.isUnderline() && "u", cell.isStrikethrough() && "s"].filter(Boolean).join("");
    return `-/${bg}/${flags}`;
  }
  const flags = [
    cell.isBold() && "b", cell.isDim() && "d", cell.isItalic() && "i",
    cell.isUnderline() && "u", cell.isBlink() && "k", cell.isInverse() && "r",
    cell.isInvisible() && "h", cell.isStrikethrough() && "s",
  ].filter(Boolean).join("");
  const fg = cell.isFgDefault() ? "-" : `${cell.getFgColorMode()}:${cell.getFgColor()}`;
  const bg = cell.isBgDefault() ? "-" : `${cell.getBgColorMode()}:${cell.getBgColor()}`;
  return `${fg}/${bg}/${flags}`;
}

async function run(spec) {
  const term = new Terminal({ cols: spec.cols, rows: spec.rows, allowProposedApi: true, scrollback: 1000 });
  let title = "";
  term.onTitleChange((t) => { title = t; });
  term.onData(() => {}); // answers to queries go nowhere
  for (const chunk of spec.chunks) {
    await new Promise((resolve) => term.write(Buffer.from(chunk, "base64"), resolve));
  }
  const buf = term.buffer.active;
  const cells = [];
  const text = [];
  const cell = buf.getNullCell();
  for (let y = 0; y < term.rows; y++) {
    const line = buf.getLine(buf.viewportY + y);
    const row = [];
    for (let x = 0; x < term.cols; x++) {
      line.getCell(x, cell);
      row.push([cell.getChars() || (cell.getWidth() === 0 ? "" : " "), attrs(cell)]);
    }
    cells.push(row);
    text.push(line.translateToString(true));
  }
  const core = term._core;
  const modes = { ...term.modes };
  modes.mouseEncoding = core?.coreMouseService?.activeEncoding ?? null;
  return {
    cells,
    text,
    buffer: buf.type,
    cursor: { x: buf.cursorX, y: buf.cursorY, hidden: Boolean(core?.coreService?.isCursorHidden) },
    modes,
    title,
  };
}

const input = JSON.parse(await readStdin());
const out = [];
for (const spec of input.terms) out.push(await run(spec));
process.stdout.write(JSON.stringify(out));
