// Api: requests and how failures become ApiErrors, against a stand-in for fetch.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Api, ApiError, cookieValue, describeError } from "../src/dashboard/api.js";

/** Replace fetch: answers with `respond(url, init)`; returns the calls made. */
function fakeFetch(t, respond) {
  const calls = [];
  t.mock.method(globalThis, "fetch", async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  });
  return calls;
}

const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

test("requests go under ccmanager/api/ with the token, JSON in and out", async (t) => {
  const calls = fakeFetch(t, () => json(201, { id: "s1", state: "starting" }));
  const api = new Api("/user/ann/", "t0k");
  const model = await api.create({ agent: "shell", name: "x" });
  assert.deepEqual(model, { id: "s1", state: "starting" });
  const [{ url, init }] = calls;
  assert.equal(url, "/user/ann/ccmanager/api/sessions");
  assert.equal(init.method, "POST");
  assert.equal(init.headers.Authorization, "token t0k");
  assert.equal(init.headers["Content-Type"], "application/json");
  assert.equal(init.headers["X-XSRFToken"], undefined); // a token needs no XSRF
  assert.deepEqual(JSON.parse(init.body), { agent: "shell", name: "x" });
});

test("ids are escaped in paths; a forced delete says so", async (t) => {
  const calls = fakeFetch(t, () => new Response(null, { status: 204 }));
  const api = new Api("/", "t");
  assert.equal(await api.remove("a/b", true), null);
  await api.stop("a b");
  assert.deepEqual(
    calls.map((c) => `${c.init.method} ${c.url}`),
    ["DELETE /ccmanager/api/sessions/a%2Fb?force=1", "POST /ccmanager/api/sessions/a%20b/stop"],
  );
  assert.equal(calls[0].init.body, undefined);
});

test("the server's {code, message} becomes an ApiError", async (t) => {
  fakeFetch(t, () => json(409, { code: "MAX_SESSIONS", message: "Maximum 4 sessions supported." }));
  await assert.rejects(new Api("/", "t").list(), (err) => {
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.status, err.code, err.message], [409, "MAX_SESSIONS", "Maximum 4 sessions supported."]);
    return true;
  });
});

test("an error page that is not ours still gives a code and a message", async (t) => {
  fakeFetch(t, () => new Response("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" }));
  await assert.rejects(new Api("/", "t").list(), { status: 502, code: "HTTP_502", message: "Bad Gateway" });
});

test("a 403 without a code suggests an expired login", async (t) => {
  fakeFetch(t, () => new Response("", { status: 403 }));
  await assert.rejects(new Api("/", "t").list(), { code: "HTTP_403", message: /login may have expired/ });
});

test("no answer at all is a NETWORK error", async (t) => {
  fakeFetch(t, () => {
    throw new TypeError("Failed to fetch");
  });
  await assert.rejects(new Api("/", "t").list(), {
    status: 0,
    code: "NETWORK",
    message: "Cannot reach the Jupyter server (Failed to fetch).",
  });
});

test("cookieValue finds one cookie, decoded, and nothing for a mere prefix", () => {
  const cookies = "theme=dark; _xsrf=2%7Cabc%7C123; _xsrf_old=zzz";
  assert.equal(cookieValue(cookies, "_xsrf"), "2|abc|123");
  assert.equal(cookieValue(cookies, "_xs"), "");
  assert.equal(cookieValue("", "_xsrf"), "");
});

test("describeError: an ApiError's code and message, else ERROR and the text", () => {
  assert.deepEqual(describeError(new ApiError(409, "MAX_SESSIONS", "Too many.")), {
    code: "MAX_SESSIONS",
    message: "Too many.",
  });
  assert.deepEqual(describeError(new Error("boom")), { code: "ERROR", message: "boom" });
  assert.deepEqual(describeError("plain"), { code: "ERROR", message: "plain" });
});

test("cookie-authenticated requests send X-XSRFToken on every method, GETs included", async (t) => {
  // JupyterHub >= 4.1 refuses cookie-authenticated fetch() GETs without it.
  const calls = fakeFetch(t, () => json(200, []));
  globalThis.document = /** @type {any} */ ({ cookie: "theme=dark; _xsrf=2%7Cabc%7C123" });
  t.after(() => delete globalThis.document);
  const api = new Api("/user/ann/");
  await api.list();
  await api.stop("s1");
  await api.remove("s1");
  assert.deepEqual(
    calls.map((c) => [c.init.method, c.init.headers["X-XSRFToken"], c.init.credentials]),
    [
      ["GET", "2|abc|123", "same-origin"],
      ["POST", "2|abc|123", "same-origin"],
      ["DELETE", "2|abc|123", "same-origin"],
    ],
  );
});
