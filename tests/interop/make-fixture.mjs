// Writes server/tests/fixtures/better-auth-1.7.29.sqlite, a database created by
// Better Auth 1.7.29 itself with one signed-up user. Beside it,
// server/tests/fixtures/better-auth-1.7.29.json records the user's credentials
// and the session cookie Better Auth set. The Rust server's tests use both to
// show that it reads an existing Better Auth database unchanged.
//
// Every run starts from an empty database and overwrites both files. The
// inputs, file names and JSON layout are fixed. Better Auth generates the ids,
// tokens, password salt and timestamps, so those change on every run.
//
// The session is created with Better Auth's default lifetime (7 days, cookie
// Max-Age=604800) and its expiresAt is then moved about 50 years ahead through
// Better Auth's own internal adapter, so the committed fixture stays live.
// Configuring a 50-year session.expiresIn directly is not possible: Better
// Auth 1.7.29 (better-call 1.4.6) throws, and sign-up returns a 500, for
// any cookie Max-Age above 400 days.

import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_SECRET, buildAuthOptions, createMigratedAuth, openDatabase } from "./reference-auth.mjs";

const VERSION = "1.7.29";
const BASE_URL = "http://127.0.0.1:3000";
// About 50 years, so the fixture's session is still live whenever tests run.
const SESSION_LIFETIME_MS = 50 * 365 * 24 * 60 * 60 * 1000;
const USER = { name: "Fixture User", email: "fixture@example.test", password: "password1234" };
const COOKIE_NAME = "better-auth.session_token";

const scriptDir = dirname(fileURLToPath(import.meta.url));
const fixturesDir = resolve(scriptDir, "../../server/tests/fixtures");
const databasePath = join(fixturesDir, `better-auth-${VERSION}.sqlite`);
const jsonPath = join(fixturesDir, `better-auth-${VERSION}.json`);

function removeDatabaseFiles(path) {
  for (const suffix of ["", "-journal", "-wal", "-shm"]) {
    if (existsSync(path + suffix)) rmSync(path + suffix);
  }
}

/** Finds the first Set-Cookie line that sets `name` and returns it with the cookie's value. */
function findCookie(setCookieLines, name) {
  for (const line of setCookieLines) {
    const pair = line.split(";")[0];
    const separator = pair.indexOf("=");
    if (pair.slice(0, separator) === name) return { line, value: pair.slice(separator + 1) };
  }
  throw new Error(`sign-up response set no ${name} cookie; Set-Cookie lines: ${JSON.stringify(setCookieLines)}`);
}

async function main() {
  mkdirSync(fixturesDir, { recursive: true });
  removeDatabaseFiles(databasePath);

  const { database, close } = openDatabase(databasePath);
  const auth = await createMigratedAuth(
    buildAuthOptions({
      database,
      secret: DEFAULT_SECRET,
      baseURL: BASE_URL,
    }),
  );

  // Go through Better Auth's HTTP handler so the cookie is exactly the one a
  // browser would receive.
  const response = await auth.handler(
    new Request(`${BASE_URL}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(USER),
    }),
  );
  const bodyText = await response.text();
  if (response.status !== 200) {
    throw new Error(`sign-up failed with status ${response.status}: ${bodyText}`);
  }
  const body = JSON.parse(bodyText);
  const cookie = findCookie(response.headers.getSetCookie(), COOKIE_NAME);

  const context = await auth.$context;
  await context.internalAdapter.updateSession(body.token, {
    expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS),
  });

  const row = database
    .prepare('select "id", "expiresAt" from "session" where "token" = ?')
    .get(body.token);
  if (!row) throw new Error(`no session row for the token ${body.token} returned by sign-up`);
  await close();

  const fixture = {
    betterAuthVersion: VERSION,
    secret: DEFAULT_SECRET,
    baseURL: BASE_URL,
    name: USER.name,
    email: USER.email,
    password: USER.password,
    userId: body.user.id,
    sessionId: row.id,
    sessionExpiresAt: row.expiresAt,
    sessionToken: body.token,
    cookieName: COOKIE_NAME,
    cookieValue: cookie.value,
    setCookie: cookie.line,
  };
  writeFileSync(jsonPath, `${JSON.stringify(fixture, null, 2)}\n`);
  console.log(`wrote ${databasePath}`);
  console.log(`wrote ${jsonPath}`);
}

main().catch((error) => {
  console.error("make-fixture failed:", error);
  process.exit(1);
});
