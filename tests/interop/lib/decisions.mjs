// The documented differences between Better Auth 1.7.29 and ott-server, one
// function each. A function asserts what each server does under that
// decision, then makes our record equal to Better Auth's in exactly the
// fields the decision covers, so that every other field is still compared.
//
// Most come from the wire contract's "Decisions where we differ" table:
// redemption, the "Session expired" cookie, plugin error codes, CORS, wrong
// method, unknown path and no-store. The others are ours: JSON-only bodies
// on sign-up and sign-in, 403 for an untrusted Origin on verify, the
// /one-time-token-session/* alias paths, `token: null` with
// `createSession: false`, 405 for HEAD on GET routes, no OAuth error page,
// and rate limits on verify.

import assert from "node:assert/strict";

/** Codes our plugin errors add to Better Auth's `{ message }` bodies. */
const PLUGIN_ERROR_CODES = {
  "Invalid token": "INVALID_TOKEN",
  "Session not found": "SESSION_NOT_FOUND",
  "Session expired": "SESSION_EXPIRED",
  "Client requests are disabled": "CLIENT_REQUESTS_DISABLED",
};

const CORS_HEADERS = ["access-control-allow-origin", "access-control-allow-credentials", "vary"];
const CORS_VARY = "origin, access-control-request-method, access-control-request-headers";

/** Replaces every occurrence of the masked label `from` by `to` in a record. */
function renameLabel(record, from, to) {
  return JSON.parse(JSON.stringify(record).replaceAll(`<${from}>`, `<${to}>`));
}

/** Makes our record's single exchange and result equal to Better Auth's, after the caller's assertions. */
function adoptResponse(ba, ours) {
  ours.result = structuredClone(ba.result);
  ours.exchanges = structuredClone(ba.exchanges);
}

function only(record) {
  assert.equal(record.exchanges.length, 1, `${record.name}: expected exactly one request`);
  return record.exchanges[0];
}

/** Returns the session label (`<... session token>`) in a verify or get-session response. */
function sessionLabel(record) {
  return record.result.data?.session?.token;
}

/**
 * CORS, applied to every exchange. Better Auth sends no Access-Control
 * headers at all. We echo a trusted origin with credentials allowed and
 * `Vary: Origin`, never `*`, and send nothing that allows an untrusted one.
 */
export function cors(ba, ours, trustedOrigins) {
  for (const [index, exchange] of ours.exchanges.entries()) {
    const reference = ba.exchanges[index];
    for (const name of CORS_HEADERS) {
      assert.equal(reference?.headers[name], undefined, `Better Auth sent ${name} on ${ba.name}`);
    }
    const allowed = exchange.headers["access-control-allow-origin"];
    if (trustedOrigins.includes(exchange.origin)) {
      assert.equal(allowed, exchange.origin, `${ours.name}: trusted origin echoed`);
      assert.equal(exchange.headers["access-control-allow-credentials"], "true", `${ours.name}: credentials allowed`);
    } else {
      assert.equal(allowed, undefined, `${ours.name}: no Access-Control-Allow-Origin for origin ${exchange.origin}`);
      delete exchange.headers["access-control-allow-credentials"];
    }
    assert.notEqual(allowed, "*", `${ours.name}: never a wildcard origin`);
    assert.equal(exchange.headers.vary, CORS_VARY, `${ours.name}: Vary names Origin`);
    for (const name of CORS_HEADERS) delete exchange.headers[name];
  }
}

/**
 * no-store. Better Auth sends `Cache-Control: no-store` on get-session only.
 * We also send it on both token endpoints, success and error. We add
 * `Referrer-Policy: no-referrer` to every 2xx response of those and of
 * get-session. Error responses of generate contain no token and may lack it.
 */
function noStore(ba, ours) {
  for (const [index, exchange] of ours.exchanges.entries()) {
    const reference = ba.exchanges[index] ?? { headers: {} };
    assert.equal(exchange.headers["cache-control"], "no-store", `${ours.name}: Cache-Control`);
    const policy = exchange.headers["referrer-policy"];
    if (exchange.status < 400 || policy !== undefined) {
      assert.equal(policy, "no-referrer", `${ours.name}: Referrer-Policy`);
    }
    assert.equal(reference.headers["referrer-policy"], undefined, `${ba.name}: Better Auth sends no Referrer-Policy`);
    exchange.headers["cache-control"] = reference.headers["cache-control"];
    delete exchange.headers["referrer-policy"];
    if (exchange.headers["cache-control"] === undefined) delete exchange.headers["cache-control"];
  }
}

/** Plugin error bodies: Better Auth sends `{ message }`, and we add a stable `code`. */
function pluginErrorCode(ba, ours) {
  const expected = PLUGIN_ERROR_CODES[ba.result.error?.message];
  assert.ok(expected, `${ba.name}: Better Auth's message ${JSON.stringify(ba.result.error?.message)} is a plugin error`);
  assert.equal(ba.result.error.code, undefined, `${ba.name}: Better Auth sends no code`);
  assert.equal(ours.result.error?.code, expected, `${ours.name}: error code`);
  delete ours.result.error.code;
}

/**
 * Redemption. Better Auth hands the redeeming device the generating
 * device's own session. We create a new session for the same user (with
 * `createSession`, on by default) and return its token in `token`. Once the
 * redeemed session is renamed to Better Auth's, everything else must match:
 * user, cookie attributes, lifetime and headers.
 */
function redemption(ba, ours) {
  if (ours.name === "list-sessions after verify") {
    const extra = ours.result.data?.filter((session) => session.token === "<phone session token>") ?? [];
    assert.equal(extra.length, 1, "our list holds the phone's own session");
    assert.ok(
      !ba.result.data?.some((session) => session.token === "<phone session token>"),
      "Better Auth's list has no session of the phone's own",
    );
    ours.result.data = ours.result.data.filter((session) => session.token !== "<phone session token>");
    return ours;
  }

  if (ours.name === "get-session on phone after laptop sign-out") {
    assert.equal(ba.result.data, null, "Better Auth: the phone shared the laptop's session, so it is signed out too");
    assert.equal(sessionLabel(ours), "<phone session token>", "ours: the phone keeps its own session");
    assert.equal(only(ours).cookies.length, 0, "ours: no cookie change");
    adoptResponse(ba, ours);
    ours.facts = structuredClone(ba.facts);
    return ours;
  }

  const theirs = sessionLabel(ba);
  const mine = sessionLabel(ours);
  assert.equal(theirs, "<laptop session token>", `${ba.name}: Better Auth returns the generating session`);
  assert.ok(mine, `${ours.name}: ours returns a session`);
  assert.notEqual(mine, theirs, `${ours.name}: ours returns a session of its own`);
  assert.equal(ours.result.data.user.id, ba.result.data.user.id, `${ours.name}: same user`);

  const ownLabel = mine.slice(1, -1);
  let renamed = renameLabel(ours, ownLabel, theirs.slice(1, -1));
  renamed = renameLabel(renamed, ownLabel.replace("token", "id"), "laptop session id");
  if (ours.exchanges[0].request.startsWith("POST")) {
    assert.equal(ours.result.data.token, mine, `${ours.name}: token is the new session's token`);
    assert.ok(!("token" in ba.result.data), `${ba.name}: Better Auth's verify body has no token field`);
    delete renamed.result.data.token;
  }
  return renamed;
}

/**
 * Redemption with `createSession: false`: the original session, as in
 * Better Auth. Our verify body also contains `token: null`, because the wire
 * contract's verify response always has that field.
 */
function createSessionOff(ba, ours) {
  assert.equal(sessionLabel(ours), sessionLabel(ba), `${ours.name}: the same session as Better Auth's`);
  if (!only(ours).request.startsWith("POST")) return;
  assert.equal(ours.result.data?.token, null, `${ours.name}: token is null`);
  assert.ok(!("token" in ba.result.data), `${ba.name}: Better Auth's verify body has no token field`);
  delete ours.result.data.token;
}

/**
 * "Session expired": Better Auth sets the expired session's cookie before it
 * rejects the token. We set no cookie on any failed verify.
 */
function noCookieOnExpiredSession(ba, ours) {
  const exchange = only(ours);
  const reference = only(ba);
  assert.equal(ba.result.error?.message, "Session expired");
  assert.ok(reference.cookies.length > 0, "Better Auth sets a cookie on Session expired");
  assert.deepEqual(exchange.cookies, [], `${ours.name}: no cookie`);
  assert.equal(exchange.headers["set-auth-token"], undefined, `${ours.name}: no set-auth-token`);
  exchange.cookies = structuredClone(reference.cookies);
  for (const name of ["set-auth-token", "access-control-expose-headers"]) {
    if (reference.headers[name] !== undefined) exchange.headers[name] = reference.headers[name];
  }
}

/** The methods each route allows, as our `Allow` header lists them. */
const ALLOWED_METHODS = {
  "/one-time-token/verify": "POST",
  "/one-time-token/generate": "GET,HEAD",
};

/** Wrong method: Better Auth returns 404 with an empty body, we return 405 with `Allow` and JSON. */
function wrongMethod(ba, ours) {
  const path = only(ours).request.split(" ")[1];
  assert.equal(only(ba).status, 404);
  assert.equal(only(ours).status, 405);
  assert.equal(only(ours).headers.allow, ALLOWED_METHODS[path], `${ours.name}: Allow`);
  assert.equal(only(ours).headers["content-type"], "application/json");
  assert.deepEqual(ours.result.error, {
    message: "Method not allowed",
    code: "METHOD_NOT_ALLOWED",
    status: 405,
    statusText: "Method Not Allowed",
  });
  adoptResponse(ba, ours);
}

/** Unknown path: Better Auth returns 404 with an empty body, we return 404 with JSON. */
function notFound(ba, ours) {
  assert.equal(only(ba).status, 404);
  assert.equal(only(ba).headers["content-type"], undefined);
  assert.equal(only(ours).headers["content-type"], "application/json");
  assert.deepEqual(ours.result.error, { message: "Not found", code: "NOT_FOUND", status: 404, statusText: "Not Found" });
  adoptResponse(ba, ours);
}

/**
 * JSON-only bodies on sign-up and sign-in. Better Auth also accepts
 * `application/x-www-form-urlencoded`. We reject every non-JSON body with
 * 415, because a hostile page can send forms and text/plain cross-site
 * without a preflight.
 */
function jsonOnlyBodies(ba, ours) {
  const type = only(ours).requestType;
  assert.ok(type === "application/x-www-form-urlencoded" || type === "text/plain", `${ours.name}: sent ${type}`);
  assert.equal(only(ours).status, 415);
  assert.deepEqual(ours.result.error, {
    message: `Content-Type "${type}" is not allowed. Allowed types: application/json`,
    code: "UNSUPPORTED_MEDIA_TYPE",
    status: 415,
    statusText: "Unsupported Media Type",
  });
  assert.deepEqual(only(ours).cookies, [], `${ours.name}: no session was created`);
  adoptResponse(ba, ours);
}

/**
 * Untrusted Origin on verify without cookies. Better Auth redeems the token
 * for any page. We reject the request with 403 INVALID_ORIGIN and consume
 * nothing, so the next redemption from a trusted context succeeds on our
 * side only.
 */
function untrustedOriginOnVerify(ba, ours) {
  if (ours.name === "verify with untrusted Origin and no cookie") {
    assert.equal(only(ba).status, 200, "Better Auth redeems the token");
    assert.equal(only(ours).status, 403);
    assert.deepEqual(ours.result.error, {
      message: "Invalid origin",
      code: "INVALID_ORIGIN",
      status: 403,
      statusText: "Forbidden",
    });
    assert.deepEqual(only(ours).cookies, []);
  } else {
    assert.equal(ba.result.error?.message, "Invalid token", "Better Auth already consumed the token");
    assert.equal(only(ours).status, 200, "the rejected request consumed nothing");
    assert.equal(ours.result.data?.user?.id, "<Ada's user id>");
  }
  adoptResponse(ba, ours);
}

/** Alias paths: `/one-time-token-session/*` are 404 on Better Auth, the same routes as `/one-time-token/*` on ours. */
function aliasPaths(ba, ours) {
  assert.equal(only(ba).status, 404);
  assert.equal(only(ours).status, 200);
  if (ours.name.startsWith("generate")) {
    assert.equal(ours.result.data?.token, "<token>");
  } else {
    assert.equal(ours.result.data?.user?.id, "<Ada's user id>");
    assert.equal(ours.result.data?.token, ours.result.data?.session?.token);
  }
  adoptResponse(ba, ours);
}

/** Preflight: Better Auth returns 404, and we allow a trusted origin with credentials. */
function preflight(ba, ours) {
  const exchange = only(ours);
  assert.equal(only(ba).status, 404);
  assert.ok(exchange.status === 200 || exchange.status === 204, `preflight status ${exchange.status}`);
  assert.equal(exchange.headers["access-control-allow-origin"], exchange.origin);
  assert.equal(exchange.headers["access-control-allow-credentials"], "true");
  assert.match(exchange.headers["access-control-allow-methods"] ?? "", /POST/);
  adoptResponse(ba, ours);
}

/**
 * HEAD on a GET route. Better Auth returns 404. We return 405 with
 * `Allow: GET` and never run the GET handler, so a HEAD on generate stores
 * no token (the step's facts compare that count on both sides).
 */
function headRequest(ba, ours) {
  assert.equal(only(ba).status, 404);
  assert.equal(only(ours).status, 405);
  assert.equal(only(ours).headers.allow, "GET", `${ours.name}: Allow`);
  adoptResponse(ba, ours);
}

/**
 * `GET /error`. Better Auth serves an HTML error page for its OAuth
 * redirects. This server has no OAuth flows and treats the path like any
 * unknown one: 404 with a JSON body.
 */
function noErrorPage(ba, ours) {
  assert.equal(only(ba).status, 200);
  assert.equal(only(ours).status, 404);
  assert.equal(only(ours).headers["content-type"], "application/json");
  adoptResponse(ba, ours);
}

const TOO_MANY = "Too many requests. Please try again later.";

/**
 * Rate limits. Both servers limit sign-in to 3 requests per 10 s per
 * client; our 429 adds `code: TOO_MANY_REQUESTS` and a standard
 * `Retry-After` beside Better Auth's `X-Retry-After`. We also limit verify
 * (10 per minute by default), which Better Auth does not, so the eleventh
 * redemption in a row is refused on our side only.
 */
function rateLimits(ba, ours) {
  if (ours.name.startsWith("sign-in attempt")) {
    assert.equal(only(ours).status, only(ba).status, `${ours.name}: same status`);
    if (only(ba).status === 429) {
      assert.equal(ours.result.error?.code, "TOO_MANY_REQUESTS");
      assert.equal(ours.result.error?.message, TOO_MANY);
      assert.equal(ba.result.error?.message, TOO_MANY);
      assert.match(only(ours).headers["retry-after"] ?? "", /^[0-9]+$/);
    }
  } else {
    const ourStatuses = ours.result.data;
    const theirStatuses = ba.result.data;
    assert.deepEqual(ourStatuses.slice(0, 10), theirStatuses.slice(0, 10), `${ours.name}: first ten alike`);
    assert.equal(theirStatuses[10], "400 Invalid token", "Better Auth does not limit verify");
    assert.equal(ourStatuses[10], `429 ${TOO_MANY}`, "the eleventh redemption is limited");
  }
  adoptResponse(ba, ours);
}

/** Decision functions by the names the scenario steps use. */
export const DECISIONS = {
  "no-store": noStore,
  "plugin-error-code": pluginErrorCode,
  redemption,
  "create-session-off": createSessionOff,
  "no-cookie-on-expired-session": noCookieOnExpiredSession,
  "wrong-method": wrongMethod,
  "not-found": notFound,
  "json-only-bodies": jsonOnlyBodies,
  "untrusted-origin-on-verify": untrustedOriginOnVerify,
  "alias-paths": aliasPaths,
  preflight,
  "head-request": headRequest,
  "no-error-page": noErrorPage,
  "rate-limits": rateLimits,
};

/**
 * Applies the CORS decision and then the step's own decisions to a copy of
 * our record, and returns the copy. Each decision asserts our side (and
 * Better Auth's) first, so a decision that is no longer true fails here.
 */
export function applyDecisions(ba, ours, trustedOrigins) {
  let adjusted = structuredClone(ours);
  for (const name of ours.decisions) {
    assert.ok(DECISIONS[name], `unknown decision ${name}`);
  }
  // A preflight is all CORS: its own decision checks the Access-Control headers.
  if (ours.decisions.includes("preflight")) {
    preflight(ba, adjusted);
    return adjusted;
  }
  cors(ba, adjusted, trustedOrigins);
  for (const name of ours.decisions) {
    const result = DECISIONS[name](ba, adjusted);
    if (result) adjusted = result;
  }
  return adjusted;
}
