// Settings of the page, read from its query string:
//
//   api=<origin>        the auth server, default the page's own origin. For a
//                       page served elsewhere, the server must list this
//                       page's origin in --trusted-origins.
//   expiresIn=<minutes> token lifetime the server uses (its --expires-in),
//                       default 3. The generate response does not carry the
//                       expiry, so the page uses this for the countdown and
//                       for the `exp` it puts into links.

// NOTE: the page cannot read the server's --expires-in. When `expiresIn`
// does not match it, the countdown is wrong and an expired link may be
// reported as "already used or not valid".

/** The server's default one-time token lifetime, in minutes. */
export const DEFAULT_TOKEN_LIFETIME_MINUTES = 3;

/** Maximum token lifetime the page accepts in `expiresIn`: one day. */
const MAX_TOKEN_LIFETIME_MINUTES = 24 * 60;

/**
 * Reads the page settings from `location`.
 *
 * Returns `{ apiOrigin, crossOrigin, tokenLifetimeMinutes, settingsQuery }`,
 * where `settingsQuery` contains the parameters that transfer links keep.
 * Throws an `Error` whose message names the invalid parameter.
 */
export function readPageSettings(location) {
  const query = new URLSearchParams(location.search);
  const settingsQuery = new URLSearchParams();

  let apiOrigin = location.origin;
  const api = query.get("api");
  if (api !== null && api !== "") {
    apiOrigin = parseApiOrigin(api);
    settingsQuery.set("api", apiOrigin);
  }

  let tokenLifetimeMinutes = DEFAULT_TOKEN_LIFETIME_MINUTES;
  const expiresIn = query.get("expiresIn");
  if (expiresIn !== null && expiresIn !== "") {
    tokenLifetimeMinutes = parseLifetime(expiresIn);
    settingsQuery.set("expiresIn", String(tokenLifetimeMinutes));
  }

  return {
    apiOrigin,
    crossOrigin: apiOrigin !== location.origin,
    tokenLifetimeMinutes,
    settingsQuery,
  };
}

function parseApiOrigin(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`The api parameter "${value}" is not a URL. Use an origin such as http://127.0.0.1:3000.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`The api parameter "${value}" must be an http or https URL, such as http://127.0.0.1:3000.`);
  }
  return url.origin;
}

function parseLifetime(value) {
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_TOKEN_LIFETIME_MINUTES) {
    throw new Error(
      `The expiresIn parameter "${value}" must be a number of minutes greater than 0 and at most ${MAX_TOKEN_LIFETIME_MINUTES}, ` +
        "matching the server's --expires-in.",
    );
  }
  return minutes;
}
