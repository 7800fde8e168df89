// Settings shared by the package tests, read from the environment.
import { fileURLToPath } from "node:url";

/** URL of the running ott-harness, e.g. `http://127.0.0.1:3101`. */
export const SERVER = process.env.OTT_TEST_SERVER;
if (!SERVER) {
  throw new Error("OTT_TEST_SERVER is not set: start ott-harness and set it to its URL, e.g. http://127.0.0.1:3101");
}

/** A URL where nothing listens, for the network-failure check. */
export const CLOSED_URL = process.env.OTT_TEST_CLOSED_URL ?? "http://127.0.0.1:3199";

/** The built package (scripts/build-client.sh). */
export const PKG_DIR = fileURLToPath(new URL("../../pkg/", import.meta.url));

export const PASSWORD = "correct horse battery";

export const INVALID_TOKEN_ERROR = {
  status: 400,
  statusText: "Bad Request",
  message: "Invalid token",
  code: "INVALID_TOKEN",
};

/** Returns a fresh, lower-case email address for each sign-up. */
export function uniqueEmail(label) {
  return `${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.test`;
}
