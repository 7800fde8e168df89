// The plugin options, each server configured alike: sign-up, generate,
// redeem on another device and read the session there. Runs unchanged
// against the reference server and ott-server; options.test.mjs compares.

import { createHash } from "node:crypto";

import { findVerifications } from "../lib/database.mjs";
import { describeTokenFormat } from "../lib/normalise.mjs";
import { Recorder } from "../lib/recorder.mjs";

/** Computes what `storeToken: "hashed"` writes: base64url(SHA-256(token)) without padding. */
export function hashToken(token) {
  return createHash("sha256").update(token).digest("base64url");
}

/** Better Auth environment and ott-server flags for one set of plugin options. */
export function serverSettings(options) {
  const env = {};
  const args = [];
  if (options.storeToken) {
    env.BA_OTT_STORE_TOKEN = options.storeToken;
    args.push("--store-token", options.storeToken);
  }
  if (options.expiresIn !== undefined) {
    env.BA_OTT_EXPIRES_IN = String(options.expiresIn);
    args.push("--expires-in", String(options.expiresIn));
  }
  const flags = [
    ["disableClientRequest", "BA_OTT_DISABLE_CLIENT_REQUEST", "--disable-client-request"],
    ["disableSetSessionCookie", "BA_OTT_DISABLE_SET_SESSION_COOKIE", "--disable-set-session-cookie"],
    ["setOttHeaderOnNewSession", "BA_OTT_SET_HEADER_ON_NEW_SESSION", "--set-ott-header-on-new-session"],
  ];
  for (const [option, variable, flag] of flags) {
    if (options[option] !== undefined) {
      env[variable] = String(options[option]);
      args.push(`${flag}=${options[option]}`);
    }
  }
  // createSession is ours alone: Better Auth always returns the original session.
  if (options.createSession !== undefined) args.push(`--create-session=${options.createSession}`);
  // Better Auth's limiter is on only under NODE_ENV=production by default,
  // ours always; each side gets the same setting here.
  env.BA_RATE_LIMIT = String(options.rateLimit === true);
  args.push("--rate-limit", options.rateLimit ? "memory" : "off");
  return { env, args };
}

/** Facts about the stored rows of a one-time token under the configured storage. */
async function storedFacts(database, token, storeToken) {
  const stored = storeToken === "hashed" ? hashToken(token) : token;
  const rows = await findVerifications(database, stored);
  const plainRows = storeToken === "hashed" ? await findVerifications(database, token) : rows;
  return {
    rowsUnderStoredIdentifier: rows.length,
    rowsUnderPlainToken: plainRows.length,
    sessionTokens: rows.map((row) => row.value),
    lifetimeSeconds: rows.map((row) =>
      Math.round((new Date(row.expiresAt).getTime() - new Date(row.createdAt).getTime()) / 1000),
    ),
  };
}

/**
 * Runs the options scenario against `target` (as for runOneTimeTokenFlow)
 * with the plugin `options` both servers were started with, and returns the
 * masked records.
 */
export async function runOptionsFlow(target, options) {
  const r = new Recorder(target);
  const { database } = target;
  const laptop = r.device("laptop");
  const phone = r.device("phone");
  const other = r.device("other device");
  const redemption = options.createSession === false ? "create-session-off" : "redemption";
  const tokenDecisions = ["no-store"];

  const signUp = await r.step("sign-up", laptop, () =>
    laptop.client.signUp.email({ name: "Ada", email: "ada@example.test", password: "correct horse battery" }),
  );
  r.labels.add(signUp.data?.token, "laptop session token");
  r.labels.add(signUp.data?.user?.id, "Ada's user id");
  const setOttOfSignUp = r.lastHeader(laptop, "set-ott");
  const laptopSession = await r.step("get-session", laptop, () => laptop.client.getSession(), {
    decisions: ["no-store"],
  });
  r.labels.add(laptopSession.data?.session?.id, "laptop session id");

  if (options.rateLimit) {
    // Both servers' default sign-in limit is 3 requests per 10 s per client.
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await r.step(
        `sign-in attempt ${attempt} with wrong password`,
        r.device(`sign-in ${attempt}`),
        (device) => device.client.signIn.email({ email: "ada@example.test", password: "wrong password" }),
        { decisions: ["rate-limits"] },
      );
    }
    await r.step("11 redemptions of unknown tokens in a row", other, async (device) => {
      const statuses = [];
      for (let attempt = 1; attempt <= 11; attempt += 1) {
        const { error } = await device.client.oneTimeToken.verify({ token: `unknown-token-${attempt}` });
        statuses.push(`${error?.status} ${error?.message}`);
      }
      return { data: statuses, error: null };
    }, { decisions: ["no-store", "rate-limits"] });
    return r.records();
  }

  if (options.disableClientRequest) {
    await r.step("generate with client requests disabled", laptop, () => laptop.client.oneTimeToken.generate(), {
      decisions: ["no-store", "plugin-error-code"],
    });
    await r.step(
      "generate without session, client requests disabled",
      other,
      () => other.client.oneTimeToken.generate(),
      { decisions: ["no-store"] },
    );
    return r.records();
  }

  const generated = await r.step("generate", laptop, () => laptop.client.oneTimeToken.generate(), {
    decisions: tokenDecisions,
    facts: async (result) => ({
      tokenFormat: describeTokenFormat(result.data?.token, "one-time token"),
      stored: await storedFacts(database, result.data?.token, options.storeToken),
    }),
  });
  const redeemed = await r.step(
    "verify on another device",
    phone,
    () => phone.client.oneTimeToken.verify({ token: generated.data?.token }),
    {
      decisions: [...tokenDecisions, redemption],
      facts: async () => ({ storedAfter: await storedFacts(database, generated.data?.token, options.storeToken) }),
    },
  );
  r.labels.add(redeemed.data?.session?.token, "phone session token");
  r.labels.add(redeemed.data?.session?.id, "phone session id");
  await r.step("get-session on the redeeming device", phone, () => phone.client.getSession(), {
    decisions: options.disableSetSessionCookie ? ["no-store"] : ["no-store", redemption],
  });

  if (options.setOttHeaderOnNewSession) {
    // The set-ott header of sign-up contains a one-time token for the laptop's session.
    const fromSignUp = await r.step("verify the set-ott token of sign-up", other, () => other.client.oneTimeToken.verify({ token: setOttOfSignUp }), {
      decisions: [...tokenDecisions, redemption],
    });
    r.labels.add(fromSignUp.data?.session?.token, "other device session token");
    r.labels.add(fromSignUp.data?.session?.id, "other device session id");
  }
  return r.records();
}
