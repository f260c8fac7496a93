// DOM helpers shared by the terminal view and the dashboard.

/**
 * An element with a class and text, in one call.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * Show `text` (with a tooltip) in `el`; empty text hides the element, so
 * missing facts (no branch, no cwd) leave no gap.
 * @param {HTMLElement} el
 * @param {string} text
 * @param {string} [title]
 */
export function setText(el, text, title = text) {
  el.textContent = text;
  el.title = title;
  el.hidden = !text;
}

/**
 * The `<style id=id>` of `doc` holds `css`. Bundles are ES modules (anywidget
 * loads them as such), so they cannot ship stylesheet files; a newer bundle
 * loaded into the same page (a widget re-run) replaces the older CSS.
 * @param {Document} doc
 * @param {string} id
 * @param {string} css
 */
export function setStyle(doc, id, css) {
  let style = doc.getElementById(id);
  if (!style) {
    style = doc.createElement("style");
    style.id = id;
    doc.head.appendChild(style);
  }
  if (style.textContent !== css) style.textContent = css;
}
