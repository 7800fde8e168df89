// Messages the page shows a person about a failed call. `error` is the client's
// `{ status, statusText, message, code }`, with status 0 when no response
// arrived.

/** Explains a failure that has no better message, with its HTTP status. */
function fallbackMessage(error) {
  if (error.status === 0) {
    return error.message;
  }
  return `${error.message} (HTTP ${error.status}).`;
}

/** Explains that the server could not be reached. */
export function networkMessage(apiOrigin) {
  return `Could not reach the server at ${apiOrigin}. Check your connection and that the server is running, then try again.`;
}

/** Explains a failed sign-in or sign-up, for the form's error box. */
export function describeAuthError(error, apiOrigin, pageOrigin) {
  switch (error.code) {
    case "INVALID_EMAIL_OR_PASSWORD":
      return "The email or password is not correct.";
    case "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL":
    case "USER_ALREADY_EXISTS":
      return "An account with this email already exists. Sign in instead, or use another email.";
    case "PASSWORD_TOO_SHORT":
      return "The password is too short: use at least 8 characters.";
    case "PASSWORD_TOO_LONG":
      return "The password is too long: use at most 128 characters.";
    case "INVALID_ORIGIN":
    case "MISSING_OR_NULL_ORIGIN":
      return `The server at ${apiOrigin} does not trust this page's origin, ${pageOrigin}. Add it to the server's --trusted-origins.`;
    case "NETWORK_ERROR":
      return networkMessage(apiOrigin);
    default:
      if (error.status === 429) {
        return "Too many attempts. Wait a few seconds and try again.";
      }
      return fallbackMessage(error);
  }
}

/**
 * Explains why a transfer link could not be redeemed.
 *
 * The server returns the same `INVALID_TOKEN` for an unknown, a used and an
 * expired token, so the link's own expiry time (`link.expiresAt`, from the
 * device that made it) decides between "expired" and "used or invalid".
 *
 * Returns `{ kind, title, text, canRetry }`. `canRetry` is true only for a
 * network failure, where the token may still be unused.
 */
export function describeVerifyError(error, link, apiOrigin, now = Date.now()) {
  switch (error.code) {
    case "INVALID_TOKEN":
      if (link.expiresAt !== null && now >= link.expiresAt) {
        return {
          kind: "expired",
          title: "This link has expired",
          text: "Sign-in links work for a few minutes only. On the other device, choose “Make a new link” and open or scan the new one.",
          canRetry: false,
        };
      }
      return {
        kind: "used",
        title: "This link was already used or is not valid",
        text: "Each link signs in one device, once. Make a new link on the other device. If you did not use this one, check the signed-in devices there and revoke any you do not recognise.",
        canRetry: false,
      };
    case "SESSION_NOT_FOUND":
      return {
        kind: "session-ended",
        title: "The session behind this link has ended",
        text: "The other device signed out, or its session was revoked, so its links no longer work. Sign in there again and make a new link.",
        canRetry: false,
      };
    case "SESSION_EXPIRED":
      return {
        kind: "session-ended",
        title: "The session behind this link has expired",
        text: "Sign in again on the other device and make a new link there.",
        canRetry: false,
      };
    case "NETWORK_ERROR":
      return {
        kind: "network",
        title: "Could not reach the server",
        text: `No answer came from ${apiOrigin}. Check your connection and that the server is running. If the link was not used yet, “Try again” signs you in.`,
        canRetry: true,
      };
    default:
      return {
        kind: "other",
        title: "This link could not be used",
        text: fallbackMessage(error),
        canRetry: error.status === 0 || error.status >= 500 || error.status === 429,
      };
  }
}

/** Explains a link whose token is missing or cut off. */
export function describeIncompleteLink() {
  return {
    kind: "incomplete",
    title: "This link is incomplete",
    text: "The sign-in link is missing its token or was cut off. Copy the whole link, or scan the QR code again.",
    canRetry: false,
  };
}
