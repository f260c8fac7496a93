// The REST calls the dashboard makes, under {baseUrl}ccmanager/api/.
//
// The page carries no token: requests ride on Jupyter's login cookie, and
// writes echo the `_xsrf` cookie as X-XSRFToken, as Jupyter requires for
// cookie-authenticated writes. The notebook widget passes JupyterLab's token
// (page config), sent as `Authorization: token ...`, which needs no XSRF.
// Every failure becomes an ApiError with the server's stable `code` and
// human `message`, so the UI can show both.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /**
   * @param {string} baseUrl the server's base URL, ending in "/"
   * @param {string} [token] Jupyter's token; empty: the login cookie (+ XSRF)
   */
  constructor(baseUrl, token = "") {
    this.root = `${baseUrl}ccmanager/api/`;
    this.token = token;
  }

  list() {
    return this.request("GET", "sessions");
  }

  create(body) {
    return this.request("POST", "sessions", body);
  }

  stop(id) {
    return this.request("POST", `sessions/${enc(id)}/stop`, {});
  }

  resume(id) {
    return this.request("POST", `sessions/${enc(id)}/resume`, {});
  }

  remove(id, force = false) {
    return this.request("DELETE", `sessions/${enc(id)}${force ? "?force=1" : ""}`);
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (this.token) {
      headers.Authorization = `token ${this.token}`;
    } else if (method !== "GET") {
      const xsrf = readCookie("_xsrf");
      if (xsrf) headers["X-XSRFToken"] = xsrf;
    }
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let resp;
    try {
      resp = await fetch(this.root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, "NETWORK", `Cannot reach the Jupyter server (${err.message}).`);
    }
    if (resp.status === 204) return null;
    const text = await resp.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null; // e.g. a proxy's HTML error page
    }
    if (resp.ok) return data;
    if (data && typeof data.code === "string") {
      throw new ApiError(resp.status, data.code, data.message || data.code);
    }
    const why = resp.status === 403 ? "Not allowed; your login may have expired (reload the page)." : "";
    throw new ApiError(resp.status, `HTTP_${resp.status}`, why || resp.statusText || `HTTP ${resp.status}`);
  }
}

/** A cookie's value, or "" (tornado's _xsrf value is sent back verbatim). */
export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return "";
}

function enc(id) {
  return encodeURIComponent(id);
}
