// The dual-server scenario: one user, several devices, every step through
// Better Auth's official client. It runs unchanged against the reference
// server and against ott-server; dual-server.test.mjs compares the records.
//
// Each step lists the documented differences (lib/decisions.mjs) that apply
// to it. A step's facts are values derived from the raw responses and from the
// server's database, so relations survive the masking of ids and tokens.

import { expireSession, expireVerification, findVerifications } from "../lib/database.mjs";
import { describeTokenFormat } from "../lib/normalise.mjs";
import { Recorder } from "../lib/recorder.mjs";

export const EMAIL = "ada@example.test";
export const PASSWORD = "correct horse battery";
/** A front end on another origin that both servers are configured to trust. */
export const TRUSTED_APP_ORIGIN = "http://localhost:5173";
const UNTRUSTED_ORIGIN = "http://untrusted.example.test";
const COOKIE_NAME = "better-auth.session_token";
const JSON_TYPE = { "content-type": "application/json" };
const FORM_TYPE = { "content-type": "application/x-www-form-urlencoded" };
const TEXT_TYPE = { "content-type": "text/plain" };

/** Returns the session token inside a device's session cookie, or undefined. */
function cookieToken(device) {
  const raw = device.jar.get(COOKIE_NAME);
  if (raw === undefined) return undefined;
  const signed = decodeURIComponent(raw);
  return signed.slice(0, signed.lastIndexOf("."));
}

function secondsBetween(later, earlier) {
  return Math.round((new Date(later).getTime() - new Date(earlier).getTime()) / 1000);
}

/** Facts about the stored rows of a one-time token: count, identifier, session and lifetime. */
async function storedTokenFacts(database, token) {
  const rows = await findVerifications(database, token);
  return {
    rows: rows.length,
    identifierIsPlainToken: rows.every((row) => row.identifier === `one-time-token:${token}`),
    sessionTokens: rows.map((row) => row.value),
    lifetimeSeconds: rows.map((row) => secondsBetween(row.expiresAt, row.createdAt)),
  };
}

/** Returns facts about a `{ session, user }` response: the user relation, token format and lifetime. */
function sessionFacts(data) {
  if (!data?.session) return { session: null };
  return {
    sessionBelongsToUser: data.session.userId === data.user?.id,
    sessionTokenFormat: describeTokenFormat(data.session.token),
    sessionLifetimeSeconds: secondsBetween(data.session.expiresAt, data.session.createdAt),
  };
}

/** Returns an action that POSTs `body` to `path` with the official client's `$fetch`. */
function post(path, body, headers) {
  return (device) => device.client.$fetch(path, { method: "POST", body, ...(headers ? { headers } : {}) });
}

/**
 * Runs the scenario against `target` (`{ kind, baseURL, origin, database,
 * rewriteBody? }`, with `database` from openTestDatabase on the server's own
 * database) and returns the masked records.
 */
export async function runOneTimeTokenFlow(target) {
  const r = new Recorder(target);
  const { database } = target;
  const laptop = r.device("laptop");
  const phone = r.device("phone");
  const desktop = r.device("desktop");
  const kiosk = r.device("kiosk");
  const watch = r.device("watch");
  // Redemptions and bad requests each use a new device. Where the servers
  // differ by a documented decision (one sets a cookie, the other does not),
  // a shared device would carry that difference into the next steps.
  let deviceCount = 0;
  const fresh = (options) => r.device(`device ${++deviceCount}`, options);
  const verify = (token) => (device) => device.client.oneTimeToken.verify({ token });
  const generate = (device) => device.client.oneTimeToken.generate();
  const tokenError = { decisions: ["no-store", "plugin-error-code"] };

  // Accounts.
  const sessionRead = { decisions: ["no-store"], facts: (result) => sessionFacts(result.data) };
  await r.step("get-session without cookie", laptop, () => laptop.client.getSession(), sessionRead);
  const signUp = await r.step(
    "sign-up",
    laptop,
    () => laptop.client.signUp.email({ name: "Ada", email: EMAIL, password: PASSWORD }),
    {
      facts: async (result) => {
        const [account] = await database.all(
          'SELECT "providerId", "accountId", "password" FROM "account" WHERE "userId" = ?',
          [result.data?.user?.id],
        );
        return {
          sessionTokenFormat: describeTokenFormat(result.data?.token),
          userIdFormat: describeTokenFormat(result.data?.user?.id),
          cookieHoldsSessionToken: cookieToken(laptop) === result.data?.token,
          accountProvider: account?.providerId,
          accountIdIsUserId: account?.accountId === result.data?.user?.id,
          passwordHashFormat: /^[0-9a-f]{32}:[0-9a-f]{128}$/.test(account?.password ?? "") ? "salt:key hex" : "other",
        };
      },
    },
  );
  r.labels.add(signUp.data?.token, "laptop session token");
  r.labels.add(signUp.data?.user?.id, "Ada's user id");

  await r.step("sign-up with taken email in upper case", fresh(), (device) =>
    device.client.signUp.email({ name: "Ada again", email: EMAIL.toUpperCase(), password: PASSWORD }),
  );
  await r.step("sign-up with short password", fresh(), (device) =>
    device.client.signUp.email({ name: "Short", email: "short@example.test", password: "1234567" }),
  );
  await r.step("sign-in with wrong password", fresh(), (device) =>
    device.client.signIn.email({ email: EMAIL, password: "wrong password" }),
  );
  await r.step("sign-in with unknown email", fresh(), (device) =>
    device.client.signIn.email({ email: "nobody@example.test", password: PASSWORD }),
  );
  const desktopSignIn = await r.step("sign-in", desktop, () =>
    desktop.client.signIn.email({ email: EMAIL.toUpperCase(), password: PASSWORD }),
  );
  r.labels.add(desktopSignIn.data?.token, "desktop session token");
  const kioskSignIn = await r.step("sign-in without remember me", kiosk, () =>
    kiosk.client.signIn.email({ email: EMAIL, password: PASSWORD, rememberMe: false }),
  );
  r.labels.add(kioskSignIn.data?.token, "kiosk session token");
  await r.step("get-session without remember me", kiosk, () => kiosk.client.getSession(), sessionRead);
  const laptopSession = await r.step("get-session", laptop, () => laptop.client.getSession(), sessionRead);
  r.labels.add(laptopSession.data?.session?.id, "laptop session id");

  // Generate on the laptop, redeem on the phone.
  const first = await r.step("generate", laptop, generate, {
    decisions: ["no-store"],
    facts: async (result) => ({
      tokenFormat: describeTokenFormat(result.data?.token, "one-time token"),
      stored: await storedTokenFacts(database, result.data?.token),
    }),
  });
  const redeemed = await r.step("verify fresh token", phone, verify(first.data?.token), {
    decisions: ["no-store", "redemption"],
    facts: async (result) => ({
      ...sessionFacts(result.data),
      storedAfter: await storedTokenFacts(database, first.data?.token),
      cookieHoldsReturnedSession: cookieToken(phone) === result.data?.session?.token,
    }),
  });
  r.labels.add(redeemed.data?.session?.token, "phone session token");
  r.labels.add(redeemed.data?.session?.id, "phone session id");
  await r.step("get-session after verify", phone, () => phone.client.getSession(), {
    ...sessionRead,
    decisions: ["no-store", "redemption"],
  });
  await r.step("list-sessions after verify", laptop, () => laptop.client.listSessions(), {
    decisions: ["redemption"],
  });
  await r.step("verify reused token", fresh(), verify(first.data?.token), tokenError);
  await r.step("verify unknown token", fresh(), verify("unknown-token-0123456789abcdefghi"), tokenError);
  await r.step("verify empty token", fresh(), verify(""), tokenError);

  // An expired token.
  const toExpire = await r.step("generate a token to expire", laptop, generate, {
    decisions: ["no-store"],
    facts: async (result) => ({ rowsExpired: await expireVerification(database, result.data?.token) }),
  });
  await r.step("verify expired token", fresh(), verify(toExpire.data?.token), {
    ...tokenError,
    facts: async () => ({ storedAfter: await storedTokenFacts(database, toExpire.data?.token) }),
  });

  // Tokens whose session is gone: revoked, signed out, expired.
  const ofDesktop = await r.step("generate on desktop", desktop, generate, { decisions: ["no-store"] });
  await r.step("revoke-session of desktop", laptop, () =>
    laptop.client.revokeSession({ token: desktopSignIn.data?.token }),
  );
  await r.step("verify token of revoked session", fresh(), verify(ofDesktop.data?.token), tokenError);
  const ofKiosk = await r.step("generate on kiosk", kiosk, generate, { decisions: ["no-store"] });
  await r.step("sign-out on kiosk", kiosk, () => kiosk.client.signOut());
  await r.step("verify token of signed-out session", fresh(), verify(ofKiosk.data?.token), tokenError);
  const watchSignIn = await r.step("sign-in on watch", watch, () =>
    watch.client.signIn.email({ email: EMAIL, password: PASSWORD }),
  );
  r.labels.add(watchSignIn.data?.token, "watch session token");
  const ofWatch = await r.step("generate on watch", watch, generate, {
    decisions: ["no-store"],
    facts: async () => ({ sessionsExpired: await expireSession(database, watchSignIn.data?.token) }),
  });
  await r.step("verify token of expired session", fresh(), verify(ofWatch.data?.token), {
    decisions: ["no-store", "plugin-error-code", "no-cookie-on-expired-session"],
  });
  await r.step("generate without session", fresh(), generate, { decisions: ["no-store"] });

  // Bad bodies, sent with the official client's $fetch.
  const badVerify = { decisions: ["no-store"] };
  await r.step("verify with token as number", fresh(), post("/one-time-token/verify", { token: 123 }), badVerify);
  await r.step("verify with empty object", fresh(), post("/one-time-token/verify", {}), badVerify);
  await r.step("verify with JSON null", fresh(), post("/one-time-token/verify", "null", JSON_TYPE), badVerify);
  await r.step("verify with malformed JSON", fresh(), post("/one-time-token/verify", '{"token":', JSON_TYPE), badVerify);
  await r.step(
    "verify with text/plain body",
    fresh(),
    post("/one-time-token/verify", JSON.stringify({ token: "x" }), TEXT_TYPE),
    badVerify,
  );
  await r.step("verify with form body", fresh(), post("/one-time-token/verify", { token: "x" }, FORM_TYPE), badVerify);
  // With no fields the official client sends GET, which gets the wrong-method response.
  await r.step("verify through the client without input", fresh(), (device) => device.client.oneTimeToken.verify({}), {
    decisions: ["wrong-method"],
  });
  await r.step("sign-up with empty object", fresh(), post("/sign-up/email", {}));
  await r.step(
    "sign-up with wrong field types",
    fresh(),
    post("/sign-up/email", { name: 7, email: "typed@example.test", password: 12345678 }),
  );
  await r.step(
    "sign-up with invalid email",
    fresh(),
    post("/sign-up/email", { name: "Bad", email: "not-an-email", password: PASSWORD }),
  );
  await r.step("sign-up with malformed JSON", fresh(), post("/sign-up/email", "{", JSON_TYPE));
  await r.step(
    "sign-up with text/plain body",
    fresh(),
    post("/sign-up/email", JSON.stringify({ name: "Plain", email: "plain@example.test", password: PASSWORD }), TEXT_TYPE),
    { decisions: ["json-only-bodies"] },
  );
  await r.step(
    "sign-up with form body",
    fresh(),
    post("/sign-up/email", { name: "Form", email: "form@example.test", password: PASSWORD }, FORM_TYPE),
    { decisions: ["json-only-bodies"] },
  );
  await r.step("sign-in with empty object", fresh(), post("/sign-in/email", {}));
  await r.step("sign-in with invalid email", fresh(), post("/sign-in/email", { email: "not-an-email", password: PASSWORD }));
  await r.step(
    "sign-in with remember me as string",
    fresh(),
    post("/sign-in/email", { email: EMAIL, password: PASSWORD, rememberMe: "yes" }),
  );
  await r.step("sign-in with form body", fresh(), post("/sign-in/email", { email: EMAIL, password: PASSWORD }, FORM_TYPE), {
    decisions: ["json-only-bodies"],
  });
  await r.step("revoke-session with empty object", laptop, post("/revoke-session", {}));

  // Origin checks on verify. The 403s consume nothing, so one token serves them all.
  const forOrigins = await r.step("generate for origin checks", laptop, generate, { decisions: ["no-store"] });
  const laptopWithoutOrigin = fresh({ origin: null });
  laptopWithoutOrigin.jar.set(COOKIE_NAME, laptop.jar.get(COOKIE_NAME));
  await r.step("verify with cookie and no Origin", laptopWithoutOrigin, verify(forOrigins.data?.token), badVerify);
  const laptopOnUntrustedPage = fresh({ origin: UNTRUSTED_ORIGIN });
  laptopOnUntrustedPage.jar.set(COOKIE_NAME, laptop.jar.get(COOKIE_NAME));
  await r.step("verify with cookie and untrusted Origin", laptopOnUntrustedPage, verify(forOrigins.data?.token), badVerify);
  await r.step(
    "verify with untrusted Origin and no cookie",
    fresh({ origin: UNTRUSTED_ORIGIN }),
    verify(forOrigins.data?.token),
    { decisions: ["no-store", "untrusted-origin-on-verify"] },
  );
  await r.step("verify after the untrusted-Origin request", fresh(), verify(forOrigins.data?.token), {
    decisions: ["no-store", "untrusted-origin-on-verify"],
  });

  // A front end on another trusted origin (CORS).
  await r.step(
    "preflight on verify from a trusted front end",
    fresh({ origin: TRUSTED_APP_ORIGIN }),
    (device) =>
      r.raw(device, "/one-time-token/verify", {
        method: "OPTIONS",
        headers: { "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      }),
    { decisions: ["preflight"] },
  );
  const forFrontEnd = await r.step("generate for the front end", laptop, generate, { decisions: ["no-store"] });
  const frontEndRedemption = await r.step(
    "verify from a trusted front end",
    fresh({ origin: TRUSTED_APP_ORIGIN }),
    verify(forFrontEnd.data?.token),
    { decisions: ["no-store", "redemption"] },
  );
  r.labels.add(frontEndRedemption.data?.session?.token, "front end session token");
  r.labels.add(frontEndRedemption.data?.session?.id, "front end session id");

  // Paths and methods outside Better Auth's routes.
  await r.step("generate on the alias path", laptop, () => laptop.client.$fetch("/one-time-token-session/generate"), {
    decisions: ["no-store", "alias-paths"],
  });
  const forAlias = await r.step("generate for the alias path", laptop, generate, { decisions: ["no-store"] });
  await r.step("verify on the alias path", fresh(), post("/one-time-token-session/verify", { token: forAlias.data?.token }), {
    decisions: ["no-store", "alias-paths"],
  });
  await r.step("POST on generate", laptop, post("/one-time-token/generate", {}), { decisions: ["wrong-method"] });
  const laptopTokenRows = () =>
    database.all('SELECT "id" FROM "verification" WHERE "value" = ?', [signUp.data?.token]).then((rows) => rows.length);
  const rowsBeforeHead = await laptopTokenRows();
  await r.step("HEAD on generate", laptop, (device) => r.raw(device, "/one-time-token/generate", { method: "HEAD" }), {
    facts: async () => ({ tokensStoredForTheSession: (await laptopTokenRows()) - rowsBeforeHead }),
    decisions: ["head-request"],
  });
  await r.step("HEAD on get-session", laptop, (device) => r.raw(device, "/get-session", { method: "HEAD" }), {
    decisions: ["head-request"],
  });
  await r.step("POST on get-session", laptop, post("/get-session", {}));
  await r.step("ok", fresh(), (device) => device.client.$fetch("/ok"));
  await r.step("HEAD on ok", fresh(), (device) => r.raw(device, "/ok", { method: "HEAD" }), {
    decisions: ["head-request"],
  });
  await r.step("error page", fresh(), (device) => r.raw(device, "/error"), { decisions: ["no-error-page"] });
  await r.step("unknown path", fresh(), (device) => device.client.$fetch("/no-such-route"), {
    decisions: ["not-found"],
  });

  // Sign-out.
  await r.step("sign-out", laptop, () => laptop.client.signOut());
  await r.step("get-session after sign-out", laptop, () => laptop.client.getSession(), sessionRead);
  await r.step("get-session on phone after laptop sign-out", phone, () => phone.client.getSession(), {
    ...sessionRead,
    decisions: ["no-store", "redemption"],
  });
  await r.step("sign-out without session", fresh(), (device) => device.client.signOut());

  return r.records();
}
