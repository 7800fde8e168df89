// Loads the release package in Node with `initSync` and makes real calls to
// the harness. Node keeps no cookies, so the session travels as a bearer
// token in `fetchOptions.headers`. Node's fetch sends fetch-metadata headers,
// so sign-up needs an `Origin` that the server trusts, as with Better Auth;
// the server's own origin is always trusted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { CLOSED_URL, INVALID_TOKEN_ERROR, PASSWORD, PKG_DIR, SERVER, uniqueEmail } from "./settings.mjs";

const pkg = await import(pathToFileURL(join(PKG_DIR, "ott_client.js")).href);
pkg.initSync({ module: readFileSync(join(PKG_DIR, "ott_client_bg.wasm")) });

function bearerClient(sessionToken) {
  return pkg.createAuthClient({
    baseURL: SERVER,
    fetchOptions: { headers: { Authorization: `Bearer ${sessionToken}` } },
  });
}

test("node: sign-up, generate and verify round trip", async () => {
  const email = uniqueEmail("node");
  const anonymous = pkg.createAuthClient({ baseURL: SERVER, fetchOptions: { headers: { Origin: SERVER } } });

  const signedUp = await anonymous.signUp.email({ name: "Node User", email, password: PASSWORD });
  assert.equal(signedUp.error, null);
  assert.equal(signedUp.data.user.email, email);
  assert.equal(signedUp.data.token.length, 32);

  const generated = await bearerClient(signedUp.data.token).oneTimeToken.generate();
  assert.equal(generated.error, null);
  assert.match(generated.data.token, /^[A-Za-z0-9_-]{32}$/);

  const verified = await anonymous.oneTimeToken.verify({ token: generated.data.token });
  assert.equal(verified.error, null);
  assert.equal(verified.data.user.id, signedUp.data.user.id);
  assert.equal(verified.data.session.token, verified.data.token);
  assert.notEqual(verified.data.token, signedUp.data.token);

  const session = await bearerClient(verified.data.token).getSession();
  assert.deepEqual(session.error, null);
  assert.equal(session.data.user.id, signedUp.data.user.id);

  const reused = await anonymous.oneTimeToken.verify({ token: generated.data.token });
  assert.deepEqual(reused, { data: null, error: INVALID_TOKEN_ERROR });
});

test("node: results are plain objects", async () => {
  const outcome = await pkg.createAuthClient({ baseURL: SERVER }).getSession();

  assert.deepEqual(outcome, { data: null, error: null });
  assert.equal(Object.getPrototypeOf(outcome), Object.prototype);
});

test("node: closed port resolves to a network error", async () => {
  const outcome = await pkg.createAuthClient({ baseURL: CLOSED_URL }).getSession();

  assert.equal(outcome.data, null);
  assert.equal(outcome.error.status, 0);
  assert.equal(outcome.error.statusText, "");
  assert.equal(outcome.error.code, "NETWORK_ERROR");
  assert.equal(outcome.error.message, `The request to ${CLOSED_URL}/api/auth/get-session failed: fetch failed`);
});

test("node: invalid options throw", () => {
  assert.throws(() => pkg.createAuthClient({ baseURL: "nowhere" }), {
    message: 'invalid createAuthClient options: baseURL "nowhere" is not an absolute http or https URL without query or fragment',
  });
  assert.throws(() => pkg.createAuthClient(undefined), {
    message: "invalid createAuthClient options: invalid type: null, expected struct ClientOptions",
  });
});
