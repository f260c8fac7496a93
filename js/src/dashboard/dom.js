// DOM pieces shared by the dashboard page and the dashboard widget.

import { h } from "../common/dom.js";
import { describeError } from "./api.js";
import { summarize } from "./store.js";

const NOTICE_MS = 12000;

/**
 * The "2 waiting · 3 running · 1 stopped" chips from the store's counts by state.
 * @param {HTMLElement} el
 * @param {Record<string, number>} counts
 */
export function drawSummary(el, counts) {
  el.replaceChildren(...summarize(counts).map(({ kind, n, label }) => h("span", `ccmd-chip ${kind}`, `${n} ${label}`)));
}

/**
 * An error notice in `container`: what failed, then the server's code and
 * message; dismissible, and gone by itself after a while.
 * @param {HTMLElement} container
 * @param {string} text what failed
 * @param {unknown} err what went wrong (an ApiError says most), if known
 * @param {{boxClass: string, bodyClass?: string}} look with `bodyClass`, the
 *   words get a box of their own beside the close button (the page's toasts)
 */
export function showNotice(container, text, err, { boxClass, bodyClass }) {
  const box = h("div", boxClass);
  box.setAttribute("role", "alert");
  const words = [h("strong", "", text)];
  if (err) {
    const { code, message } = describeError(err);
    words.push(h("code", "", code), h("span", "", message));
  }
  const close = h("button", "ccmd-btn ccmd-close", "✕");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.addEventListener("click", () => box.remove());
  if (bodyClass) {
    const body = h("div", bodyClass);
    body.append(...words);
    box.append(body, close);
  } else {
    box.append(...words, close);
  }
  container.append(box);
  setTimeout(() => box.remove(), NOTICE_MS);
}
