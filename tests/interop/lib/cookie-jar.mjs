// A small cookie jar and a fetch wrapper for Node, which keeps no cookies
// between requests. Every server in these tests listens on 127.0.0.1, so the
// jar ignores Domain and Path and keeps one value per cookie name.

/** Cookies of one simulated device: name to value, as the server set them. */
export class CookieJar {
  #cookies = new Map();

  /** Applies the `Set-Cookie` lines of a response: an empty value or `Max-Age=0` deletes. */
  store(setCookieLines) {
    for (const line of setCookieLines) {
      const [pair, ...attributes] = line.split(";").map((part) => part.trim());
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      const expired = attributes.some((attribute) => /^max-age=0$/i.test(attribute));
      if (value === "" || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  /** Returns the value of cookie `name`, or undefined. */
  get(name) {
    return this.#cookies.get(name);
  }

  /** Sets a cookie by hand, as a device that copied it from elsewhere would. */
  set(name, value) {
    this.#cookies.set(name, value);
  }

  /** Returns the `Cookie` header for the next request, or undefined when the jar is empty. */
  header() {
    if (this.#cookies.size === 0) return undefined;
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * Builds a fetch function for one device: it sends the jar's cookies, an
 * `Origin` header (unless `origin` is null) and `headers`, stores the cookies
 * the server sets, and passes each exchange to `onExchange`.
 *
 * `rewriteBody(url, text)` may replace the text of a JSON response body
 * before the caller reads it. The scenario runner uses it to show that a
 * changed response field makes the comparison fail.
 */
export function createDeviceFetch({ jar, origin, headers = {}, onExchange, rewriteBody }) {
  return async function deviceFetch(input, init) {
    const request = new Request(input, init);
    const sent = new Headers(request.headers);
    for (const [name, value] of Object.entries(headers)) sent.set(name, value);
    if (origin) sent.set("origin", origin);
    const cookie = jar?.header();
    if (cookie) sent.set("cookie", cookie);

    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.text();
    let response = await fetch(request.url, {
      method: request.method,
      headers: sent,
      body,
      redirect: "manual",
    });
    jar?.store(response.headers.getSetCookie());

    if (rewriteBody && (response.headers.get("content-type") ?? "").includes("application/json")) {
      const text = rewriteBody(request.url, await response.text());
      response = new Response(text, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    onExchange?.({ method: request.method, url: request.url, requestHeaders: sent, response });
    return response;
  };
}
