// Loads the release package in headless Chromium from a page on
// http://127.0.0.1:8101 (the harness must trust that origin) and makes real
// calls to the harness, with the session cookie set by sign-up.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

import { INVALID_TOKEN_ERROR, PASSWORD, PKG_DIR, SERVER, uniqueEmail } from "./settings.mjs";
import { startStaticServer } from "./static-server.mjs";

const PAGE_HOST = "127.0.0.1";
const PAGE_PORT = Number(process.env.OTT_PACKAGE_PAGE_PORT ?? 8101);

// Headless Chromium as root, without outside network.
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

let staticServer;
let browser;

before(async () => {
  staticServer = await startStaticServer({ pkgDir: PKG_DIR, host: PAGE_HOST, port: PAGE_PORT });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (staticServer ? staticServer.close(resolve) : resolve()));
});

async function openPage() {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.goto(`http://${PAGE_HOST}:${PAGE_PORT}/`);
  return { page, pageErrors };
}

test("browser: sign-up, generate and verify round trip with cookies", async () => {
  const { page, pageErrors } = await openPage();
  const email = uniqueEmail("browser");

  const result = await page.evaluate(
    async ({ server, email, password }) => {
      const pkg = await import("/pkg/ott_client.js");
      // The default export fetches ott_client_bg.wasm next to the module.
      await pkg.default();
      const client = pkg.createAuthClient({ baseURL: server });
      const secondDevice = pkg.createAuthClient({ baseURL: server, fetchOptions: { credentials: "omit" } });

      const signedUp = await client.signUp.email({ name: "Browser User", email, password });
      const session = await client.getSession();
      const generated = await client.oneTimeToken.generate();
      const token = generated.data?.token;
      const [verified, shared] = await Promise.all([
        secondDevice.oneTimeToken.verify({ token }),
        secondDevice.oneTimeToken.verify({ token }),
      ]);
      const reused = await secondDevice.oneTimeToken.verify({ token });
      return { signedUp, session, generated, verified, shared, reused };
    },
    { server: SERVER, email, password: PASSWORD },
  );
  await page.close();

  assert.deepEqual(pageErrors, []);
  assert.equal(result.signedUp.error, null);
  assert.equal(result.signedUp.data.user.email, email);
  const userId = result.signedUp.data.user.id;

  assert.equal(result.session.error, null, "the sign-up cookie reaches the server");
  assert.equal(result.session.data.session.token, result.signedUp.data.token);

  assert.equal(result.generated.error, null);
  assert.match(result.generated.data.token, /^[A-Za-z0-9_-]{32}$/);

  assert.equal(result.verified.error, null);
  assert.equal(result.verified.data.user.id, userId);
  assert.equal(result.verified.data.session.token, result.verified.data.token);
  assert.notEqual(result.verified.data.token, result.signedUp.data.token);
  assert.deepEqual(result.shared, result.verified, "simultaneous verify calls share one result");

  assert.deepEqual(result.reused, { data: null, error: INVALID_TOKEN_ERROR });
});
