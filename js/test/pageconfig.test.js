// Where the server is, from a Jupyter page's config and the page's location.
import assert from "node:assert/strict";
import { test } from "node:test";

import { originServer, serverFromConfig, sessionSocketUrl } from "../src/transport/pageconfig.js";

const http = { protocol: "http:", host: "localhost:8888" };
const https = { protocol: "https:", host: "hub.example.org" };

test("no config, or one without a base URL, names no server", () => {
  assert.equal(serverFromConfig(null, http), null);
  assert.equal(serverFromConfig({}, http), null);
  assert.equal(serverFromConfig({ baseUrl: "" }, http), null);
  assert.equal(serverFromConfig({ baseUrl: 42 }, http), null);
});

test("the socket base follows the page's origin and scheme", () => {
  assert.deepEqual(serverFromConfig({ baseUrl: "/user/ann", token: "t0k" }, https), {
    baseUrl: "/user/ann/",
    wsBase: "wss://hub.example.org/user/ann/",
    token: "t0k",
  });
  assert.deepEqual(serverFromConfig({ baseUrl: "/" }, http), {
    baseUrl: "/",
    wsBase: "ws://localhost:8888/",
    token: "",
  });
});

test("a wsUrl in the config wins over the page's origin", () => {
  const server = serverFromConfig({ baseUrl: "/lab/", wsUrl: "wss://sockets.example.org/lab" }, http);
  assert.equal(server?.wsBase, "wss://sockets.example.org/lab/");
});

test("a token that is not a string is no token", () => {
  assert.equal(serverFromConfig({ baseUrl: "/", token: { secret: 1 } }, http)?.token, "");
});

test("originServer: the page's own origin at its root, cookie-authenticated", () => {
  assert.deepEqual(originServer(https), { baseUrl: "/", wsBase: "wss://hub.example.org/", token: "" });
});

test("sessionSocketUrl: escaped id, whole non-negative offset, token when there is one", () => {
  const server = { baseUrl: "/", wsBase: "ws://h/base/", token: "a b" };
  assert.equal(sessionSocketUrl(server, "x/y", 12.7), "ws://h/base/ccmanager/api/sessions/x%2Fy/ws?offset=12&token=a%20b");
  assert.equal(sessionSocketUrl({ ...server, token: "" }, "s1", -5), "ws://h/base/ccmanager/api/sessions/s1/ws?offset=0");
});
