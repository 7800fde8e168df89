// Devices that talk to a server through Better Auth's official client, and
// a recorder that keeps, for each named step, what the client returned and
// what went over the wire. Records are masked only at the end, so that
// labels added by later steps name values in earlier ones too.

import { createAuthClient } from "better-auth/client";
import { oneTimeTokenClient } from "better-auth/client/plugins";

import { CookieJar, createDeviceFetch } from "./cookie-jar.mjs";
import { Labels, maskHeaders, maskSetCookie, maskValue } from "./normalise.mjs";

const BASE_PATH = "/api/auth";

/** Reads the headers of a response into a plain object; `set-cookie` lines stay separate. */
function readHeaders(response) {
  const headers = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  return { headers, setCookie: response.headers.getSetCookie() };
}

/** Builds the records of one scenario run on one server. */
export class Recorder {
  labels = new Labels();
  #steps = [];
  #names = new Set();

  constructor(target) {
    this.target = target;
  }

  /**
   * Makes a device: its own cookie jar and an official client with the
   * one-time-token plugin. `origin` is the `Origin` header it sends (the
   * server's origin by default, null for none); `headers` are added to
   * every request.
   */
  device(name, { origin = this.target.origin, headers = {} } = {}) {
    const jar = new CookieJar();
    const exchanges = [];
    const fetchImpl = createDeviceFetch({
      jar,
      origin,
      headers,
      rewriteBody: this.target.rewriteBody,
      onExchange: (exchange) => exchanges.push(exchange),
    });
    const client = createAuthClient({
      baseURL: this.target.baseURL,
      plugins: [oneTimeTokenClient()],
      fetchOptions: { customFetchImpl: fetchImpl },
    });
    return { name, origin, jar, client, fetch: fetchImpl, exchanges };
  }

  /**
   * Runs one step: `action(device)` returns the client's `{ data, error }`. The
   * exchanges the device made meanwhile are kept with it. `facts(result)`
   * may add values the scenario derives (relations, formats, database rows);
   * `decisions` names the documented differences that apply to this step.
   * Returns the raw result.
   */
  async step(name, device, action, { facts, decisions = [] } = {}) {
    if (this.#names.has(name)) throw new Error(`step name used twice: ${name}`);
    this.#names.add(name);
    const first = device.exchanges.length;
    const result = await action(device);
    const exchanges = device.exchanges.slice(first).map((exchange) => ({
      origin: exchange.requestHeaders.get("origin"),
      hadCookie: exchange.requestHeaders.has("cookie"),
      requestType: exchange.requestHeaders.get("content-type"),
      request: `${exchange.method} ${new URL(exchange.url).pathname.replace(BASE_PATH, "")}`,
      status: exchange.response.status,
      statusText: exchange.response.statusText,
      ...readHeaders(exchange.response),
    }));
    const derived = facts ? await facts(result) : undefined;
    this.#steps.push({ name, device: device.name, decisions, result, exchanges, facts: derived });
    return result;
  }

  /** Returns the raw value of header `name` in the device's latest response, or null. */
  lastHeader(device, name) {
    return device.exchanges.at(-1)?.response.headers.get(name) ?? null;
  }

  /**
   * Sends a request the official client would never send (a preflight, a
   * raw body) with the device's fetch, and returns `{ data, error }` in the
   * client's shape: data is the parsed JSON body of a 2xx response.
   */
  async raw(device, path, init = {}) {
    const response = await device.fetch(`${this.target.baseURL}${BASE_PATH}${path}`, init);
    const text = await response.text();
    // An HTML page is recorded as such; its text would only clutter a diff.
    if ((response.headers.get("content-type") ?? "").startsWith("text/html")) {
      const page = `<HTML page of ${text.length} characters>`;
      return response.ok ? { data: page, error: null } : { data: null, error: { status: response.status, body: page } };
    }
    let body = text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // Not JSON: the text itself is compared.
    }
    if (response.ok) return { data: body, error: null };
    return { data: null, error: { status: response.status, statusText: response.statusText, body } };
  }

  /** Shows this server's own origin as `<server origin>`, since the two servers differ only by port. */
  #maskOrigin(value) {
    return value === this.target.origin ? "<server origin>" : value;
  }

  /** Returns the masked records, in the order the steps ran. */
  records() {
    return this.#steps.map((step) => ({
      name: step.name,
      device: step.device,
      decisions: step.decisions,
      result: maskValue(step.result, this.labels),
      exchanges: step.exchanges.map((exchange) => ({
        request: exchange.request,
        origin: this.#maskOrigin(exchange.origin),
        hadCookie: exchange.hadCookie,
        requestType: exchange.requestType,
        status: exchange.status,
        statusText: exchange.statusText,
        cookies: exchange.setCookie.map((line) => maskSetCookie(line, this.labels)),
        headers: maskHeaders(
          Object.fromEntries(Object.entries(exchange.headers).map(([name, value]) => [name, this.#maskOrigin(value)])),
          this.labels,
        ),
      })),
      facts: step.facts === undefined ? null : maskValue(step.facts, this.labels),
    }));
  }
}
