// Where is the Jupyter server? JupyterLab, Notebook 7 and Voila pages embed their
// settings as JSON in <script id="jupyter-config-data">; VS Code, Colab and other
// front ends do not, and then the widget falls back to the kernel comm relay.

/** @typedef {import("../types/session").Server} Server */
/** @typedef {{protocol: string, host: string}} PageLocation the parts of `location` used here */

/** @type {Record<string, unknown> | null | undefined} */
let cached;

/**
 * The page config object, or null when the page has none (not a Jupyter page).
 * @returns {Record<string, unknown> | null}
 */
export function readPageConfig() {
  if (cached === undefined) cached = parsePageConfig();
  return cached;
}

/** @returns {Record<string, unknown> | null} */
function parsePageConfig() {
  const el = typeof document !== "undefined" && document.getElementById("jupyter-config-data");
  if (!el || !el.textContent) return null;
  try {
    return JSON.parse(el.textContent);
  } catch {
    return null; // A broken config is the same as none: use the comm fallback.
  }
}

/** The server that served this page, or null on a page without a Jupyter config. */
export function serverFromPage() {
  return serverFromConfig(readPageConfig(), location);
}

/**
 * The server a page config names, or null when it names none.
 * @param {Record<string, unknown> | null} config
 * @param {PageLocation} loc the page's location
 * @returns {Server | null}
 */
export function serverFromConfig(config, loc) {
  if (!config || typeof config.baseUrl !== "string" || !config.baseUrl) return null;
  const baseUrl = withSlash(config.baseUrl);
  // Some deployments put the websocket origin in `wsUrl` (e.g. behind a proxy
  // that serves websockets elsewhere); otherwise it is this page's origin.
  const wsBase =
    typeof config.wsUrl === "string" && config.wsUrl ? withSlash(config.wsUrl) : `${wsOrigin(loc)}${baseUrl}`;
  return { baseUrl, wsBase, token: typeof config.token === "string" ? config.token : "" };
}

/**
 * A server at the root of the page's own origin, with no token (the login
 * cookie authenticates): the guess for pages without a config.
 * @param {PageLocation} [loc]
 * @returns {Server}
 */
export function originServer(loc = location) {
  return { baseUrl: "/", wsBase: `${wsOrigin(loc)}/`, token: "" };
}

/**
 * The WebSocket URL of a session, resuming at byte `offset` of its output
 * stream `stream` (the id a hello gave; "" before the first one).
 * @param {Server} server
 * @param {string} sessionId
 * @param {number} offset
 * @param {string} [stream]
 */
export function sessionSocketUrl(server, sessionId, offset, stream = "") {
  let url =
    `${server.wsBase}ccmanager/api/sessions/${encodeURIComponent(sessionId)}/ws` +
    `?offset=${Math.max(0, Math.floor(offset))}`;
  if (stream) url += `&stream=${encodeURIComponent(stream)}`;
  if (server.token) url += `&token=${encodeURIComponent(server.token)}`;
  return url;
}

/** @param {PageLocation} loc */
function wsOrigin(loc) {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}`;
}

/** @param {string} url */
function withSlash(url) {
  return url.endsWith("/") ? url : `${url}/`;
}
