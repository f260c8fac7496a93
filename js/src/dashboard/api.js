// The REST calls the dashboard makes, under {baseUrl}ccmanager/api/.
//
// The page carries no token: requests ride on Jupyter's login cookie, and
// every request (GETs too) echoes the `_xsrf` cookie as X-XSRFToken: Jupyter
// requires it on cookie-authenticated writes, and JupyterHub >= 4.1 also on
// cookie-authenticated fetch() GETs (without it every list answers 403). The notebook widget passes JupyterLab's token
// (page config), sent as `Authorization: token ...`, which needs no XSRF.
// Every failure becomes an ApiError with the server's stable `code` and
// human `message`, so the UI can show both.

/** @typedef {import("../types/session").Session} Session */

export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status (0: no answer)
   * @param {string} code the server's stable code
   * @param {string} message for people
   * @param {Record<string, unknown>} [details] the answer's other fields (a conflict's `files`)
   */
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
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

  /** @returns {Promise<Session[]>} */
  list() {
    return this.request("GET", "sessions");
  }

  /**
   * @param {{agent: string, name?: string, cwd?: string, worktree?: boolean}} body
   * @returns {Promise<Session>}
   */
  create(body) {
    return this.request("POST", "sessions", body);
  }

  /**
   * @param {string} id
   * @returns {Promise<Session>}
   */
  stop(id) {
    return this.request("POST", `sessions/${enc(id)}/stop`, {});
  }

  /**
   * @param {string} id
   * @returns {Promise<Session>}
   */
  resume(id) {
    return this.request("POST", `sessions/${enc(id)}/resume`, {});
  }

  /**
   * @param {string} id
   * @param {boolean} [force] also when its worktree has uncommitted changes
   * @returns {Promise<null>}
   */
  remove(id, force = false) {
    return this.request("DELETE", `sessions/${enc(id)}${force ? "?force=1" : ""}`);
  }

  /**
   * What a worktree session changed (files, hunks and the unified patch).
   * @param {string} id
   * @returns {Promise<any>}
   */
  diff(id) {
    return this.request("GET", `sessions/${enc(id)}/diff?format=json`);
  }

  /**
   * @param {string} id
   * @param {string} message
   * @returns {Promise<{commit: string, session: Session}>}
   */
  commit(id, message) {
    return this.request("POST", `sessions/${enc(id)}/commit`, { message });
  }

  /**
   * @param {string} id
   * @param {{strategy?: string, into?: string, commit?: boolean, message?: string}} body
   * @returns {Promise<{commit: string, into: string, strategy: string, session: Session}>}
   */
  merge(id, body) {
    return this.request("POST", `sessions/${enc(id)}/merge`, body);
  }

  /**
   * Answer what a waiting session asks (`pending`), with one of its option keys.
   * @param {string} id
   * @param {{choice: string, serial?: number, text?: string}} body
   * @returns {Promise<Session>}
   */
  answer(id, body) {
    return this.request("POST", `sessions/${enc(id)}/answer`, body);
  }

  /**
   * @param {string} method
   * @param {string} path under the API root
   * @param {object} [body] sent as JSON
   * @returns {Promise<any>} the parsed JSON answer (null for 204)
   */
  async request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    if (this.token) {
      headers.Authorization = `token ${this.token}`;
    } else {
      const xsrf = cookieValue(document.cookie, "_xsrf");
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
      const why = /** @type {TypeError} */ (err).message; // what fetch rejects with
      throw new ApiError(0, "NETWORK", `Cannot reach the Jupyter server (${why}).`);
    }
    if (resp.status === 204) return null;
    const text = await resp.text();
    /** @type {any} */
    let data = null; // JSON of any shape, checked below
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null; // e.g. a proxy's HTML error page
    }
    if (resp.ok) return data;
    if (data && typeof data.code === "string") {
      const { code, message, ...details } = data;
      throw new ApiError(resp.status, code, message || code, details);
    }
    const why = resp.status === 403 ? "Not allowed; your login may have expired (reload the page)." : "";
    throw new ApiError(resp.status, `HTTP_${resp.status}`, why || resp.statusText || `HTTP ${resp.status}`);
  }
}

/**
 * The code and message to show for a failure: an ApiError's own, else
 * "ERROR" and what the error says.
 * @param {unknown} err
 * @returns {{code: string, message: string}}
 */
export function describeError(err) {
  const { code, message } = /** @type {{code?: string, message?: string}} */ (
    typeof err === "object" && err !== null ? err : {}
  );
  return { code: code || "ERROR", message: message || String(err) };
}

/**
 * A cookie's value in a `document.cookie` string, or "" (tornado's _xsrf
 * value is sent back verbatim).
 * @param {string} cookies
 * @param {string} name
 */
export function cookieValue(cookies, name) {
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return "";
}

/** @param {string} id */
function enc(id) {
  return encodeURIComponent(id);
}
