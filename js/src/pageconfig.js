// Where is the Jupyter server? JupyterLab, Notebook 7 and Voila pages embed their
// settings as JSON in <script id="jupyter-config-data">; VS Code, Colab and other
// front ends do not, and then the widget falls back to the kernel comm relay.

let cached;

/** The page config object, or null when the page has none (not a Jupyter page). */
export function readPageConfig() {
  if (cached !== undefined) return cached;
  cached = null;
  const el = typeof document !== "undefined" && document.getElementById("jupyter-config-data");
  if (el && el.textContent) {
    try {
      cached = JSON.parse(el.textContent);
    } catch {
      cached = null; // A broken config is the same as none: use the comm fallback.
    }
  }
  return cached;
}

/** `{ baseUrl, wsBase, token }` for the server that served this page, or null. */
export function serverFromPage() {
  const config = readPageConfig();
  if (!config || typeof config.baseUrl !== "string" || !config.baseUrl) return null;
  const baseUrl = withSlash(config.baseUrl);
  // Some deployments put the websocket origin in `wsUrl` (e.g. behind a proxy
  // that serves websockets elsewhere); otherwise it is this page's origin.
  let wsBase;
  if (typeof config.wsUrl === "string" && config.wsUrl) {
    wsBase = withSlash(config.wsUrl);
  } else {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    wsBase = `${scheme}//${location.host}${baseUrl}`;
  }
  return { baseUrl, wsBase, token: typeof config.token === "string" ? config.token : "" };
}

/** The WebSocket URL of a session, resuming at byte `offset` of its output. */
export function sessionSocketUrl(server, sessionId, offset) {
  let url =
    `${server.wsBase}ccmanager/api/sessions/${encodeURIComponent(sessionId)}/ws` +
    `?offset=${Math.max(0, Math.floor(offset))}`;
  if (server.token) url += `&token=${encodeURIComponent(server.token)}`;
  return url;
}

function withSlash(url) {
  return url.endsWith("/") ? url : `${url}/`;
}
