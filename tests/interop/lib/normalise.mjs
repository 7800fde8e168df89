// Turns what a client saw into a value that is equal on two servers when
// they behave alike. Ids, tokens and dates are masked. A value that the
// scenario has named (say, the session token of the first device) is shown
// by that name instead, so that "which session came back" is still compared.

import { createHmac } from "node:crypto";

import { SECRET } from "./servers.mjs";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const ID = /^[A-Za-z0-9]{32}$/;
const URL_SAFE_TOKEN = /^[A-Za-z0-9_-]{32}$/;
const SIGNED_VALUE = /^(.+)\.([A-Za-z0-9+/]{43}=)$/;

/** Response headers that the comparison looks at; the others (Date, Connection...) vary by server stack. */
export const COMPARED_HEADERS = [
  "content-type",
  "cache-control",
  "pragma",
  "referrer-policy",
  "access-control-expose-headers",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "vary",
  "allow",
  "retry-after",
  "x-retry-after",
  "set-auth-token",
  "set-ott",
];

/**
 * Describes the format of an id or token: `alphanumeric-32` (ids and
 * session tokens), `url-safe-32` (one-time tokens, which may hold `-` and
 * `_`) or `other(<length>)`. `kind` is "id" or "one-time token", so that a
 * random one-time token without `-` or `_` is still `url-safe-32`.
 */
export function describeTokenFormat(value, kind = "id") {
  if (typeof value !== "string") return `not a string (${value === null ? "null" : typeof value})`;
  if (kind === "id" && ID.test(value)) return "alphanumeric-32";
  if (kind === "one-time token" && URL_SAFE_TOKEN.test(value)) return "url-safe-32";
  return `other(${value.length})`;
}

/** Values the scenario has named, shown as `<name>` wherever they appear. */
export class Labels {
  #names = new Map();

  /** Names `value` unless it already has a name (the first name wins). */
  add(value, name) {
    if (typeof value === "string" && value !== "" && !this.#names.has(value)) this.#names.set(value, name);
  }

  get(value) {
    return this.#names.get(value);
  }
}

function signatureOf(token) {
  return createHmac("sha256", SECRET).update(token).digest("base64");
}

/**
 * Masks a signed value `token.signature` (cookie or `set-auth-token`): the
 * token by its label or kind, the signature as valid or invalid.
 */
function maskSigned(text, labels) {
  const match = SIGNED_VALUE.exec(text);
  if (!match) return maskString(text, "", labels);
  const [, token, signature] = match;
  const verdict = signature === signatureOf(token) ? "valid signature" : "INVALID signature";
  return `${maskString(token, "token", labels)}.<${verdict}>`;
}

function maskString(value, key, labels) {
  const name = labels.get(value);
  if (name) return `<${name}>`;
  if (ISO_DATE.test(value)) return "<date>";
  if ((key === "id" || key === "userId") && ID.test(value)) return "<id>";
  if (key === "token" && URL_SAFE_TOKEN.test(value)) return "<token>";
  return value;
}

/** Masks ids, tokens and dates anywhere in `value`. Keys keep their order. */
export function maskValue(value, labels, key = "") {
  if (value instanceof Date) return "<date>";
  if (typeof value === "string") return maskString(value, key, labels);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, labels, key));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, maskValue(item, labels, name)]));
  }
  return value;
}

/**
 * Masks one `Set-Cookie` line: the value is shown by label with its
 * signature checked, and marked when it is not percent-encoded the way
 * Better Auth encodes it.
 */
export function maskSetCookie(line, labels) {
  const [pair, ...attributes] = line.split(";").map((part) => part.trim());
  const separator = pair.indexOf("=");
  const name = pair.slice(0, separator);
  const raw = pair.slice(separator + 1);
  let value = "";
  if (raw !== "") {
    const decoded = decodeURIComponent(raw);
    value = maskSigned(decoded, labels);
    if (encodeURIComponent(decoded) !== raw) value += " (not percent-encoded)";
  }
  return [`${name}=${value}`, ...attributes].join("; ");
}

/** Masks the compared headers of a response (a plain object of lower-case names). */
export function maskHeaders(headers, labels) {
  const masked = {};
  for (const name of COMPARED_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === "set-auth-token") masked[name] = maskSigned(value, labels);
    else if (name === "set-ott") masked[name] = `<one-time token ${describeTokenFormat(value, "one-time token")}>`;
    else masked[name] = value;
  }
  return masked;
}
