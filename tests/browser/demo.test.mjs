// End-to-end tests of the demo page (www/) in headless Chromium against a
// real ott-server. Each browser context is one device with its own cookies.
//
// Every transfer test runs twice: with the page served by ott-server itself,
// and with the page served by a static server on another 127.0.0.1 port that
// the API trusts (--trusted-origins), the page naming the API in `?api=`.
//
// Needs target/debug/ott-server (cargo build -p ott-server), pkg/
// (scripts/build-client.sh), www/vendor/ (scripts/build-demo.sh), Debian's
// chromium and the sqlite3 command; scripts/test-demo.sh prepares all of it.
// Screenshots go to tests/artifacts/.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  DESKTOP,
  PASSWORD,
  PHONE,
  assertNoPageProblems,
  createTransferLink,
  decodeQrCode,
  expireTokenInDatabase,
  getSession,
  launchChromium,
  listedSessionIds,
  openDevice,
  parseTransferLink,
  saveArtifact,
  signUp,
  uniqueEmail,
  waitForView,
} from "./helpers.mjs";
import { freePort, startOttServer, startStaticServer } from "./servers.mjs";

const TEST_TIMEOUT_MS = 90_000;
const TOKEN_LIFETIME_MS = 3 * 60_000;
const CONTINUE = "Continue as this account on this device";

let server;
let staticServer;
let browser;

before(async () => {
  // The static server's port is chosen first, because ott-server must trust
  // its origin from the start.
  const staticPort = await freePort();
  server = await startOttServer([
    "--trusted-origins", `http://127.0.0.1:${staticPort}`,
    // Every request of these tests comes from 127.0.0.1, so the per-address
    // limits are raised, except sign-in, whose limit one test checks.
    "--rate-limit-sign-up", "100/10",
    "--rate-limit-sign-in", "3/60",
    "--rate-limit-generate", "100/60",
    "--rate-limit-verify", "100/60",
  ]);
  staticServer = await startStaticServer({ port: staticPort, apiOrigin: server.origin });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await staticServer?.stop();
  await server?.stop();
});

const MODES = [
  {
    name: "same origin",
    slug: "same-origin",
    pageUrl: () => `${server.origin}/`,
  },
  {
    name: "cross origin",
    slug: "cross-origin",
    pageUrl: () => `${staticServer.origin}/?api=${encodeURIComponent(server.origin)}`,
  },
];

/** Opens a device on the demo page and signs up a new user there. */
async function signedInDevice(mode, name, label) {
  const device = await openDevice(browser, DESKTOP);
  const email = uniqueEmail(label);
  await device.page.goto(mode.pageUrl());
  await signUp(device.page, { name, email });
  return { ...device, email, session: await getSession(device.page, server.origin) };
}

/** Opens `link` on a new device and confirms it, without waiting for the outcome. */
async function openAndConfirm(link, options = PHONE) {
  const device = await openDevice(browser, options);
  await device.page.goto(link);
  await waitForView(device.page, "view-receive");
  await device.page.getByRole("button", { name: CONTINUE }).click();
  return device;
}

/** Returns the requests a device sent that carry `token` in their URL or body, documents excluded. */
function requestsCarrying(device, token) {
  return device.requests.filter((request) => !request.navigation && (request.url.includes(token) || request.body.includes(token)));
}

for (const mode of MODES) {
  test(`${mode.name}: link signs in second device`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const a = await signedInDevice(mode, "Ada Lovelace", "transfer");
    const b = await openDevice(browser, PHONE);
    t.after(() => Promise.all([a.context.close(), b.context.close()]));

    assert.deepEqual(await listedSessionIds(a.page), [a.session.session.id]);
    assert.ok(await a.page.locator("#sessions-empty").isVisible(), "a lone session shows the empty state");

    const requestedAt = Date.now();
    const link = await createTransferLink(a.page);
    const { url, token, exp, pageUrl } = parseTransferLink(link);
    assert.match(token, /^[A-Za-z0-9_-]{32}$/, "the fragment carries a 32-character token");
    assert.ok(!url.pathname.includes(token), "the token is not in the path");
    assert.ok(!url.search.includes(token), "the token is not in the query");
    assert.equal(`${url.origin}${url.pathname}`, new URL(mode.pageUrl()).origin + "/");
    if (mode.slug === "cross-origin") {
      assert.equal(url.searchParams.get("api"), server.origin, "the link keeps the API origin");
    }
    assert.ok(exp >= requestedAt - 1000 + TOKEN_LIFETIME_MS, `exp ${exp} is at least 3 minutes after the request`);
    assert.ok(exp <= Date.now() + TOKEN_LIFETIME_MS, `exp ${exp} is at most 3 minutes from now`);
    assert.match(await a.page.locator("#transfer-countdown").textContent(), /^Expires in [23]:\d\d$/);

    // The QR code, read back from a screenshot, is exactly the link shown.
    const qrPng = await a.page.locator("#transfer-qr").screenshot();
    assert.equal(decodeQrCode(qrPng), link);
    await saveArtifact(`demo-${mode.slug}-a-transfer.png`, await a.page.screenshot({ fullPage: true }));

    // Device B opens the link: the fragment leaves the address bar at once,
    // and nothing carries the token before the confirmation.
    await b.page.goto(link);
    await waitForView(b.page, "view-receive");
    assert.equal(b.page.url(), pageUrl, "the address bar no longer shows the fragment");
    assert.equal(await b.page.evaluate(() => window.location.hash), "");
    assert.deepEqual(requestsCarrying(b, token), [], "no request carries the token before confirmation");
    assert.equal(await getSession(b.page, server.origin), null, "opening the link signs nobody in");

    await b.page.getByRole("button", { name: CONTINUE }).click();
    await waitForView(b.page, "view-account");
    const bSession = await getSession(b.page, server.origin);
    assert.equal(bSession.user.id, a.session.user.id, "B is signed in as A's user");
    assert.notEqual(bSession.session.id, a.session.session.id, "B has a session of its own");
    assert.equal(await b.page.locator("#account-email").textContent(), a.email);
    await b.page.locator("#session-list .session").nth(1).waitFor();
    assert.equal(await b.page.locator(".session-current .session-title").textContent(), "Chrome on Android This device");
    await saveArtifact(`demo-${mode.slug}-b-signed-in.png`, await b.page.screenshot({ fullPage: true }));

    // A's list shows both sessions, its own first.
    await a.page.getByRole("button", { name: "Refresh" }).click();
    await a.page.locator("#session-list .session").nth(1).waitFor();
    assert.deepEqual(await listedSessionIds(a.page), [a.session.session.id, bSession.session.id]);
    assert.match(await a.page.locator("#banner-text").textContent(), /New device signed in: Chrome on Android/);

    // A revokes B: B's next get-session is null and its page shows that it was signed out.
    await a.page.locator(`[data-session-id="${bSession.session.id}"]`).getByRole("button", { name: /Revoke/ }).click();
    await a.page.locator(`[data-session-id="${bSession.session.id}"]`).waitFor({ state: "detached" });
    assert.deepEqual(await listedSessionIds(a.page), [a.session.session.id]);
    assert.equal(await getSession(b.page, server.origin), null, "B's session is gone");
    assert.notEqual(await getSession(a.page, server.origin), null, "A's session remains");

    await b.page.getByRole("button", { name: "Refresh" }).click();
    await waitForView(b.page, "view-auth");
    assert.match(await b.page.locator("#banner-text").textContent(), /signed out/);

    assert.ok(!server.log().includes(token), "the server log does not contain the token");
    assert.ok(!server.log().includes(bSession.session.token), "the server log does not contain a session token");
    assertNoPageProblems(a);
    assertNoPageProblems(b);
  });

  test(`${mode.name}: used link is rejected`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const a = await signedInDevice(mode, "Grace Hopper", "used");
    t.after(() => a.context.close());
    const link = await createTransferLink(a.page);

    const b = await openAndConfirm(link);
    t.after(() => b.context.close());
    await waitForView(b.page, "view-account");
    const bSession = await getSession(b.page, server.origin);

    const c = await openAndConfirm(link, DESKTOP);
    t.after(() => c.context.close());
    await waitForView(c.page, "view-link-problem");
    assert.equal(await c.page.locator("#problem-title").textContent(), "This link was already used or is not valid");
    assert.ok(await c.page.locator("#problem-retry").isHidden(), "a used link offers no retry");
    assert.equal(await getSession(c.page, server.origin), null, "the third device is not signed in");
    await saveArtifact(`demo-${mode.slug}-c-used-link.png`, await c.page.screenshot({ fullPage: true }));

    await a.page.getByRole("button", { name: "Refresh" }).click();
    await a.page.locator("#session-list .session").nth(1).waitFor();
    assert.equal((await listedSessionIds(a.page)).length, 2, "the used link created no third session");

    // Either device can revoke the other: here B revokes A.
    await b.page.getByRole("button", { name: "Refresh" }).click();
    await b.page.locator(`[data-session-id="${a.session.session.id}"]`).getByRole("button", { name: /Revoke/ }).click();
    await b.page.locator(`[data-session-id="${a.session.session.id}"]`).waitFor({ state: "detached" });
    assert.equal(await getSession(a.page, server.origin), null, "A's session is gone");
    assert.equal((await getSession(b.page, server.origin)).session.id, bSession.session.id);

    assertNoPageProblems(a);
    assertNoPageProblems(b);
    assertNoPageProblems(c);
  });

  test(`${mode.name}: expired link is rejected`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const a = await signedInDevice(mode, "Alan Turing", "expired");
    t.after(() => a.context.close());
    const link = await createTransferLink(a.page);
    const { token } = parseTransferLink(link);

    // The server has no settable clock, so the token row is expired in the
    // database. The page distinguishes "expired" from "used" by the link's own
    // `exp`, which is moved into the past to match.
    await expireTokenInDatabase(server.databaseFile, token);
    const expired = new URL(link);
    const fragment = new URLSearchParams(expired.hash.slice(1));
    fragment.set("exp", String(Date.now() - 60_000));
    expired.hash = fragment.toString();

    const b = await openDevice(browser, PHONE);
    t.after(() => b.context.close());
    await b.page.goto(expired.href);
    await waitForView(b.page, "view-receive");
    assert.match(await b.page.locator("#receive-expiry").textContent(), /time looks to be up/);
    await b.page.getByRole("button", { name: CONTINUE }).click();
    await waitForView(b.page, "view-link-problem");
    assert.equal(await b.page.locator("#problem-title").textContent(), "This link has expired");
    assert.equal(await getSession(b.page, server.origin), null, "an expired link signs nobody in");
    await saveArtifact(`demo-${mode.slug}-b-expired-link.png`, await b.page.screenshot({ fullPage: true }));

    assertNoPageProblems(a);
    assertNoPageProblems(b);
  });

  test(`${mode.name}: previews consume nothing`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const a = await signedInDevice(mode, "Katherine Johnson", "preview");
    t.after(() => a.context.close());
    const link = await createTransferLink(a.page);
    const { token } = parseTransferLink(link);

    // What a link preview or mail scanner sends: plain GET and HEAD. HTTP
    // clients never send the fragment.
    const get = await fetch(link, { redirect: "manual" });
    assert.equal(get.status, 200);
    assert.match(await get.text(), /<title>/);
    assert.equal(get.headers.get("cache-control"), "no-store");
    assert.equal(get.headers.get("referrer-policy"), "no-referrer");
    const head = await fetch(link, { method: "HEAD", redirect: "manual" });
    assert.equal(head.status, 200);

    // A preview that runs the page but never confirms.
    const preview = await openDevice(browser, DESKTOP);
    await preview.page.goto(link);
    await waitForView(preview.page, "view-receive");
    assert.deepEqual(requestsCarrying(preview, token), [], "the preview sent the token nowhere");
    await preview.context.close();

    const b = await openAndConfirm(link);
    t.after(() => b.context.close());
    await waitForView(b.page, "view-account");
    assert.equal((await getSession(b.page, server.origin)).user.id, a.session.user.id, "the token was still redeemable");
    assertNoPageProblems(b);
  });
}

test("network failure offers retry", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const mode = MODES[0];
  const a = await signedInDevice(mode, "Hedy Lamarr", "network");
  t.after(() => a.context.close());
  const link = await createTransferLink(a.page);

  const b = await openDevice(browser, PHONE);
  t.after(() => b.context.close());
  await b.page.route("**/api/auth/one-time-token/verify", (route) => route.abort("connectionrefused"));
  await b.page.goto(link);
  await waitForView(b.page, "view-receive");
  await b.page.getByRole("button", { name: CONTINUE }).click();
  await waitForView(b.page, "view-link-problem");
  assert.equal(await b.page.locator("#problem-title").textContent(), "Could not reach the server");
  assert.match(await b.page.locator("#problem-text").textContent(), new RegExp(`No answer came from ${server.origin}`));
  await saveArtifact("demo-same-origin-b-network-failure.png", await b.page.screenshot({ fullPage: true }));

  // The page kept the token, so "Try again" redeems it once the network is back.
  await b.page.unroute("**/api/auth/one-time-token/verify");
  await b.page.getByRole("button", { name: "Try again" }).click();
  await waitForView(b.page, "view-account");
  assert.equal((await getSession(b.page, server.origin)).user.id, a.session.user.id);
  assertNoPageProblems(b, [/net::ERR_CONNECTION_REFUSED/]);
});

test("incomplete link asks nothing", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const device = await openDevice(browser, DESKTOP);
  t.after(() => device.context.close());
  await device.page.goto(`${server.origin}/#token=&exp=${Date.now() + 60_000}`);
  await waitForView(device.page, "view-link-problem");
  assert.equal(await device.page.locator("#problem-title").textContent(), "This link is incomplete");
  assert.equal(device.page.url(), `${server.origin}/`);
  const verifyCalls = device.requests.filter((request) => request.url.includes("/one-time-token/verify"));
  assert.deepEqual(verifyCalls, [], "an incomplete link is not sent to the server");

  await device.page.getByRole("button", { name: "Continue to the demo" }).click();
  await waitForView(device.page, "view-auth");
  assertNoPageProblems(device);
});

test("forms report bad input", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const device = await openDevice(browser, DESKTOP);
  t.after(() => device.context.close());
  const { page } = device;
  const error = page.locator("#auth-error");
  const email = uniqueEmail("forms");

  await page.goto(`${server.origin}/`);
  await waitForView(page, "view-auth");
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByRole("button", { name: "Create account" }).click();
  assert.equal(await error.textContent(), "Enter your name.");

  await page.getByLabel("Name").fill("Mary Jackson");
  await page.locator("#sign-up-email").fill("not-an-email");
  await page.getByRole("button", { name: "Create account" }).click();
  assert.equal(await error.textContent(), "“not-an-email” is not an email address.");

  await page.locator("#sign-up-email").fill(email);
  await page.locator("#sign-up-password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  assert.equal(await error.textContent(), "Choose a password of at least 8 characters.");

  await page.locator("#sign-up-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await waitForView(page, "view-account");
  await page.getByRole("button", { name: "Sign out" }).click();
  await waitForView(page, "view-auth");
  assert.equal(await getSession(page, server.origin), null);

  // The same email again: the server rejects it.
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Name").fill("Mary Jackson");
  await page.locator("#sign-up-email").fill(email);
  await page.locator("#sign-up-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await error.filter({ hasText: /already exists/ }).waitFor();

  // Sign-in attempts 1 to 3 of the 3 per minute the server allows.
  await page.getByRole("tab", { name: "Sign in" }).click();
  await page.locator("#sign-in-email").fill(email);
  await page.locator("#sign-in-password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await error.filter({ hasText: "The email or password is not correct." }).waitFor();
  await saveArtifact("demo-same-origin-sign-in-error.png", await page.screenshot({ fullPage: true }));

  await page.locator("#sign-in-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await waitForView(page, "view-account");
  await page.getByRole("button", { name: "Sign out" }).click();
  await waitForView(page, "view-auth");

  await page.locator("#sign-in-email").fill(email);
  await page.locator("#sign-in-password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await error.filter({ hasText: "The email or password is not correct." }).waitFor();

  // Attempt 4 is over the limit.
  await page.locator("#sign-in-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await error.filter({ hasText: "Too many attempts" }).waitFor();
  assert.equal(await getSession(page, server.origin), null);
  assertNoPageProblems(device);
});

test("invalid api parameter is reported", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const device = await openDevice(browser, DESKTOP);
  t.after(() => device.context.close());
  await device.page.goto(`${server.origin}/?api=ftp%3A%2F%2F127.0.0.1`);
  await waitForView(device.page, "view-fatal");
  assert.match(await device.page.locator("#fatal-text").textContent(), /api parameter "ftp:\/\/127\.0\.0\.1" must be an http or https URL/);
  assertNoPageProblems(device);
});
