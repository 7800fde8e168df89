// Our WebAssembly client (pkg/, the `ott-client` package built by
// scripts/build-client.sh) against the reference Better Auth 1.7.29 server,
// loaded in Node with initSync. Node keeps no cookies, so requests carry
// `Authorization: Bearer <set-auth-token>` or a `Cookie` header explicitly,
// and an `Origin` header where Better Auth checks one.
//
// Error objects are compared with those of Better Auth's official client for
// the same failing calls.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { createAuthClient as createOfficialClient } from "better-auth/client";
import { oneTimeTokenClient } from "better-auth/client/plugins";

import { CookieJar, createDeviceFetch } from "./lib/cookie-jar.mjs";
import { expireSession, expireVerification, openTestDatabase } from "./lib/database.mjs";
import { ROOT_DIR, findFreePort, makeTempDir, startReferenceServer } from "./lib/servers.mjs";

const PKG_DIR = process.env.OTT_CLIENT_PKG_DIR ?? join(ROOT_DIR, "pkg");
const PASSWORD = "correct horse battery";
const SESSION_KEYS = ["createdAt", "expiresAt", "id", "ipAddress", "token", "updatedAt", "userAgent", "userId"];
const USER_KEYS = ["createdAt", "email", "emailVerified", "id", "image", "name", "updatedAt"];

const ottClient = await import(join(PKG_DIR, "ott_client.js"));
ottClient.initSync({ module: readFileSync(join(PKG_DIR, "ott_client_bg.wasm")) });

let server;
let database;
let folder;
let emailCount = 0;
/** Response headers of the latest request any client made, from a wrapper around the global fetch. */
let lastResponseHeaders;
const originalFetch = globalThis.fetch;

before(async () => {
  folder = makeTempDir("ott-interop-client");
  server = await startReferenceServer({ database: `${folder.path}/reference.sqlite` });
  database = openTestDatabase(`${folder.path}/reference.sqlite`);
  // ott-client reads no response headers it does not need, so the test
  // reads set-auth-token here. The wrapper changes nothing it passes on.
  globalThis.fetch = async (...args) => {
    const response = await originalFetch(...args);
    lastResponseHeaders = response.headers;
    return response;
  };
});

after(async () => {
  globalThis.fetch = originalFetch;
  await database?.close();
  await server?.stop();
  folder?.remove();
});

/** Creates an ott-client for the reference server with extra request headers. */
function ours(headers = {}) {
  return ottClient.createAuthClient({ baseURL: server.baseURL, fetchOptions: { headers } });
}

/** Creates Better Auth's official client for the reference server, with its own cookie jar. */
function official() {
  return createOfficialClient({
    baseURL: server.baseURL,
    plugins: [oneTimeTokenClient()],
    fetchOptions: { customFetchImpl: createDeviceFetch({ jar: new CookieJar(), origin: server.origin }) },
  });
}

/** Signs a new user up through ott-client and returns the session token and the signed set-auth-token value. */
async function signUp(label) {
  emailCount += 1;
  const email = `${label}-${emailCount}@example.test`;
  const { data, error } = await ours({ Origin: server.origin }).signUp.email({ name: label, email, password: PASSWORD });
  assert.equal(error, null, "sign-up through ott-client");
  const signed = lastResponseHeaders.get("set-auth-token");
  assert.ok(signed?.startsWith(`${data.token}.`), "set-auth-token holds the signed session token");
  return { email, data, signed, bearer: { Authorization: `Bearer ${signed}` } };
}

/** Removes the fields that hold ids, tokens and dates, keeping their presence. */
function withoutVolatile(value) {
  return JSON.parse(
    JSON.stringify(value, (key, item) =>
      ["id", "userId", "token", "createdAt", "updatedAt", "expiresAt"].includes(key) && item !== null ? "<masked>" : item,
    ),
  );
}

test("ott-client: sign-up, generate and verify against Better Auth", async () => {
  const user = await signUp("flow");
  assert.deepEqual(Object.keys(user.data.user).sort(), USER_KEYS);

  const generated = await ours(user.bearer).oneTimeToken.generate();
  assert.equal(generated.error, null);
  assert.match(generated.data.token, /^[A-Za-z0-9_-]{32}$/);

  const verified = await ours().oneTimeToken.verify({ token: generated.data.token });
  assert.equal(verified.error, null);
  assert.deepEqual(Object.keys(verified.data.session).sort(), SESSION_KEYS);
  assert.deepEqual(Object.keys(verified.data.user).sort(), USER_KEYS);
  assert.equal(verified.data.user.id, user.data.user.id);
  assert.equal(verified.data.session.token, user.data.token, "Better Auth returns the generating session");
  assert.equal(verified.data.token, null, "Better Auth's body has no token field; the client reports null");
  assert.equal(verified.data.session.expiresAt, new Date(verified.data.session.expiresAt).toISOString());
});

test("ott-client: redeemed session works through a Cookie header", async () => {
  const user = await signUp("cookie");
  const generated = await ours(user.bearer).oneTimeToken.generate();
  await ours().oneTimeToken.verify({ token: generated.data.token });
  const cookieLine = lastResponseHeaders.getSetCookie().find((line) => line.startsWith("better-auth.session_token="));
  assert.ok(cookieLine, "verify set the session cookie");
  const cookie = { Cookie: cookieLine.split(";")[0], Origin: server.origin };

  const session = await ours(cookie).getSession();
  assert.equal(session.error, null);
  assert.equal(session.data.session.token, user.data.token);
  const again = await ours(cookie).oneTimeToken.generate();
  assert.equal(again.error, null, "the cookie authenticates generate");
  const signedOut = await ours(cookie).signOut();
  assert.deepEqual(signedOut, { data: { success: true }, error: null });
  assert.deepEqual(await ours(cookie).getSession(), { data: null, error: null });
});

test("ott-client: session methods with a bearer header", async () => {
  const user = await signUp("bearer");
  const signIn = await ours({ Origin: server.origin }).signIn.email({ email: user.email, password: PASSWORD });
  assert.equal(signIn.error, null);
  assert.equal(signIn.data.redirect, false);
  assert.equal(signIn.data.user.id, user.data.user.id);

  const session = await ours(user.bearer).getSession();
  assert.equal(session.data.session.token, user.data.token);
  const listed = await ours(user.bearer).listSessions();
  assert.deepEqual(listed.data.map((entry) => entry.token).sort(), [user.data.token, signIn.data.token].sort());
  const revoked = await ours({ ...user.bearer, Origin: server.origin }).revokeSession({ token: signIn.data.token });
  assert.deepEqual(revoked, { data: { status: true }, error: null });
  const remaining = await ours(user.bearer).listSessions();
  assert.deepEqual(remaining.data.map((entry) => entry.token), [user.data.token]);
  const signedOut = await ours({ ...user.bearer, Origin: server.origin }).signOut();
  assert.deepEqual(signedOut, { data: { success: true }, error: null });
  assert.deepEqual(await ours(user.bearer).getSession(), { data: null, error: null });
});

test("ott-client: getSession without credentials is null", async () => {
  assert.deepEqual(await ours().getSession(), { data: null, error: null });
});

/**
 * Failing calls made with both clients. `code` is Better Auth's when it
 * sends one. For plugin errors it sends only a message, so ott-client
 * derives the code from the status text (`Bad Request` gives `BAD_REQUEST`).
 */
test("ott-client: error objects match the official client's", async () => {
  const user = await signUp("errors");
  const generated = await ours(user.bearer).oneTimeToken.generate();
  await ours().oneTimeToken.verify({ token: generated.data.token });
  const toExpire = (await ours(user.bearer).oneTimeToken.generate()).data.token;
  await expireVerification(database, toExpire);

  const cases = [
    {
      name: "reused token",
      ours: () => ours().oneTimeToken.verify({ token: generated.data.token }),
      official: () => official().oneTimeToken.verify({ token: generated.data.token }),
      derivedCode: "BAD_REQUEST",
    },
    {
      name: "unknown token",
      ours: () => ours().oneTimeToken.verify({ token: "unknown-token-0123456789abcdefghi" }),
      official: () => official().oneTimeToken.verify({ token: "unknown-token-0123456789abcdefghi" }),
      derivedCode: "BAD_REQUEST",
    },
    {
      name: "expired token",
      ours: () => ours().oneTimeToken.verify({ token: toExpire }),
      official: () => official().oneTimeToken.verify({ token: toExpire }),
      derivedCode: "BAD_REQUEST",
    },
    {
      name: "generate without session",
      ours: () => ours().oneTimeToken.generate(),
      official: () => official().oneTimeToken.generate(),
    },
    {
      name: "wrong password",
      ours: () => ours({ Origin: server.origin }).signIn.email({ email: user.email, password: "wrong password" }),
      official: () => official().signIn.email({ email: user.email, password: "wrong password" }),
    },
    {
      name: "taken email",
      ours: () => ours({ Origin: server.origin }).signUp.email({ name: "x", email: user.email, password: PASSWORD }),
      official: () => official().signUp.email({ name: "x", email: user.email, password: PASSWORD }),
    },
    {
      name: "short password",
      ours: () => ours({ Origin: server.origin }).signUp.email({ name: "x", email: "short@example.test", password: "1234567" }),
      official: () => official().signUp.email({ name: "x", email: "short@example.test", password: "1234567" }),
    },
    {
      name: "sign-in without Origin (Node's fetch sends Sec-Fetch-Mode)",
      ours: () => ours().signIn.email({ email: user.email, password: PASSWORD }),
      official: () =>
        createOfficialClient({ baseURL: server.baseURL, fetchOptions: { customFetchImpl: createDeviceFetch({ origin: null }) } })
          .signIn.email({ email: user.email, password: PASSWORD }),
    },
  ];
  for (const entry of cases) {
    const mine = await entry.ours();
    const theirs = await entry.official();
    assert.equal(mine.data, null, `${entry.name}: no data`);
    assert.ok(theirs.error, `${entry.name}: the official client reports an error`);
    assert.deepEqual(
      mine.error,
      {
        status: theirs.error.status,
        statusText: theirs.error.statusText,
        message: theirs.error.message,
        code: theirs.error.code ?? entry.derivedCode,
      },
      entry.name,
    );
  }
});

test("ott-client: token of an expired session", async () => {
  const user = await signUp("expired-session");
  const generated = await ours(user.bearer).oneTimeToken.generate();
  assert.equal(await expireSession(database, user.data.token), 1);
  const result = await ours().oneTimeToken.verify({ token: generated.data.token });
  assert.deepEqual(result, {
    data: null,
    error: { status: 400, statusText: "Bad Request", message: "Session expired", code: "BAD_REQUEST" },
  });
});

test("ott-client: invalid input is rejected without a request", async () => {
  const result = await ours().oneTimeToken.verify({ token: 5 });
  assert.equal(result.data, null);
  assert.equal(result.error.status, 0);
  assert.equal(result.error.code, "INVALID_INPUT");
});

test("ott-client: unreachable server gives a network error", async () => {
  const closedPort = await findFreePort();
  const client = ottClient.createAuthClient({ baseURL: `http://127.0.0.1:${closedPort}` });
  const result = await client.oneTimeToken.verify({ token: "unknown-token-0123456789abcdefghi" });
  assert.equal(result.data, null);
  assert.equal(result.error.status, 0);
  assert.equal(result.error.code, "NETWORK_ERROR");
});

test("ott-client: verify response equals the official client's except token", async () => {
  const user = await signUp("same-response");
  const first = (await ours(user.bearer).oneTimeToken.generate()).data.token;
  const second = (await ours(user.bearer).oneTimeToken.generate()).data.token;
  const mine = await ours().oneTimeToken.verify({ token: first });
  const theirs = await official().oneTimeToken.verify({ token: second });
  const { token, ...rest } = mine.data;
  assert.equal(token, null);
  // The official client turns date strings into Date objects; JSON gives both as ISO text.
  assert.deepEqual(withoutVolatile(rest), withoutVolatile(JSON.parse(JSON.stringify(theirs.data))));
  assert.equal(rest.session.id, theirs.data.session.id, "both redeemed the same original session");
});
