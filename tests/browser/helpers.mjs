// Browser helpers for the demo tests: Chromium with the flags this machine
// needs, pages that record errors and requests, the sign-up and link steps,
// QR code decoding, and the database update that expires a token.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

import jsQR from "jsqr";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

import { ROOT } from "./servers.mjs";

export const ARTIFACTS_DIR = join(ROOT, "tests/artifacts");
export const PASSWORD = "correct horse battery";

/** Headless Chromium as root, without outside network. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-quic",
];

/** A desktop browser and a phone, as two devices of one person. */
export const DESKTOP = { viewport: { width: 1200, height: 900 } };
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
};

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
}

/**
 * Opens a page in a new browser context (a separate cookie jar: another
 * device). The returned `problems` list collects uncaught page errors and
 * console errors, such as Content-Security-Policy violations. The returned
 * `requests` list records every request's URL, body and whether it loads a
 * document.
 */
export async function openDevice(browser, options = DESKTOP) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on("request", (request) =>
    requests.push({ url: request.url(), body: request.postData() ?? "", navigation: request.isNavigationRequest() }),
  );
  return { context, page, problems, requests };
}

/**
 * Chromium logs every 4xx response to fetch as a console error. The page
 * expects some (a used token, a wrong password), so they are not problems.
 */
const EXPECTED_HTTP_ERROR = /Failed to load resource: the server responded with a status of 4\d\d/;

/** Fails when a device's page logged errors other than `allowed` ones, listing them. */
export function assertNoPageProblems(device, allowed = []) {
  const patterns = [EXPECTED_HTTP_ERROR, ...allowed];
  const unexpected = device.problems.filter((problem) => !patterns.some((pattern) => pattern.test(problem)));
  assert.deepEqual(unexpected, [], `the page reported errors:\n${unexpected.join("\n")}`);
}

/** Waits until the view with `id` is the visible one. */
export async function waitForView(page, id) {
  await page.locator(`#${id}`).waitFor({ state: "visible" });
}

/** Returns a fresh email address for each sign-up. */
export function uniqueEmail(label) {
  return `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
}

/** Signs up through the page's form and waits for the signed-in view with its session list. */
export async function signUp(page, { name, email, password = PASSWORD }) {
  await waitForView(page, "view-auth");
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Name").fill(name);
  await page.locator("#sign-up-email").fill(email);
  await page.locator("#sign-up-password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await waitForView(page, "view-account");
  await page.locator("#session-list .session").first().waitFor();
}

/** Clicks "Create a link" and returns the link shown in the link field. */
export async function createTransferLink(page) {
  await page.getByRole("button", { name: "Create a link" }).click();
  await page.locator("#transfer-result").waitFor({ state: "visible" });
  return page.locator("#transfer-link").inputValue();
}

/** Splits a transfer link into its page URL and its `token` and `exp` fragment values. */
export function parseTransferLink(link) {
  const url = new URL(link);
  const fragment = new URLSearchParams(url.hash.slice(1));
  url.hash = "";
  return { pageUrl: url.href, token: fragment.get("token"), exp: Number(fragment.get("exp")), url: new URL(link) };
}

/** Reads `get-session` with the page's cookies: `{ session, user }` or null. */
export function getSession(page, apiOrigin) {
  return page.evaluate(async (api) => {
    const response = await fetch(`${api}/api/auth/get-session`, { credentials: "include" });
    return response.json();
  }, apiOrigin);
}

/** Returns the ids shown in the page's session list. */
export function listedSessionIds(page) {
  return page.locator("#session-list .session").evaluateAll((items) => items.map((item) => item.dataset.sessionId));
}

/** Saves a PNG into tests/artifacts/ and returns its path. */
export async function saveArtifact(name, png) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await writeFile(path, png);
  return path;
}

/** Decodes the QR code in a PNG screenshot. Returns its text, or null when no code is found. */
export function decodeQrCode(png) {
  const image = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height);
  return code === null ? null : code.data;
}

const execFileAsync = promisify(execFile);

/**
 * Moves a stored one-time token's expiry into the past with a direct database
 * update, because the server has no clock that a test can set.
 */
export async function expireTokenInDatabase(databaseFile, token) {
  // The token is interpolated into SQL, so only the characters the server
  // generates are allowed through.
  assert.match(token, /^[A-Za-z0-9_-]+$/, "unexpected characters in the token");
  const sql =
    `UPDATE "verification" SET "expiresAt" = '2000-01-01T00:00:00.000Z' ` +
    `WHERE "identifier" = 'one-time-token:${token}'; SELECT changes();`;
  const { stdout } = await execFileAsync("sqlite3", ["-cmd", ".timeout 5000", databaseFile, sql]);
  assert.equal(stdout.trim(), "1", "expected exactly one verification row for the token");
}
