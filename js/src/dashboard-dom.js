// Small DOM helpers shared by the dashboard page and the dashboard widget.

/** An element with a class and text, in one call. */
export function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The "2 waiting · 3 running · 1 stopped" chips from the store's counts by state. */
export function drawSummary(el, counts) {
  const running = (counts.idle || 0) + (counts.busy || 0) + (counts.starting || 0);
  const parts = [
    ["waiting", counts.waiting || 0, "waiting"],
    ["running", running, "running"],
    ["ended", (counts.stopped || 0) + (counts.exited || 0), "stopped"],
  ].filter(([, n]) => n > 0);
  el.replaceChildren(...parts.map(([kind, n, label]) => h("span", `ccmd-chip ${kind}`, `${n} ${label}`)));
}
