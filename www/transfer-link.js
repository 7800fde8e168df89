// Transfer links: the page's own address with the one-time token and its
// expiry time in the fragment, `#token=...&exp=<unix ms>`. Browsers never send
// the fragment to a server, so the token stays out of request lines, server
// logs and `Referer` headers. Only the page's non-secret settings (`api`,
// `expiresIn`) go into the query.

/** Maximum token length the page accepts from a link. Generated tokens have 32 characters. */
const MAX_TOKEN_LENGTH = 1024;

/**
 * Builds the link that a second device opens.
 *
 * `pageUrl` is the current page address, `settingsQuery` the query to keep
 * (a `URLSearchParams`), `expiresAt` a time in milliseconds since the epoch.
 */
export function buildTransferLink(pageUrl, settingsQuery, token, expiresAt) {
  const url = new URL(pageUrl);
  url.search = settingsQuery.toString();
  url.hash = new URLSearchParams({ token, exp: String(expiresAt) }).toString();
  return url.href;
}

/**
 * Reads a transfer link from a location fragment (`"#token=..."`).
 *
 * Returns null when the fragment names no token at all. Otherwise returns
 * `{ token, expiresAt, complete }`: `expiresAt` is null when the link has no
 * valid `exp`, and `complete` is false for an empty or oversized token, which
 * the page reports without asking the server.
 */
export function readTransferFragment(hash) {
  if (!hash || hash.length < 2) {
    return null;
  }
  const params = new URLSearchParams(hash.slice(1));
  if (!params.has("token")) {
    return null;
  }
  const token = params.get("token").trim();
  const exp = Number(params.get("exp"));
  return {
    token,
    expiresAt: Number.isSafeInteger(exp) && exp > 0 ? exp : null,
    complete: token.length > 0 && token.length <= MAX_TOKEN_LENGTH,
  };
}
