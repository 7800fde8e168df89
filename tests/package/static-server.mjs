// A static HTTP server for the package test page: `/` is an empty page and
// `/pkg/...` serves the built package, so the page can import it the way an
// application without a bundler would.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";

const CONTENT_TYPES = {
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".ts": "text/plain",
  ".md": "text/plain",
};

const PAGE = "<!doctype html><meta charset=utf-8><title>ott-client package test</title>";

/**
 * Starts serving `pkgDir` under `/pkg/` on `host:port`. Resolves to the
 * `http.Server` once it listens.
 */
export function startStaticServer({ pkgDir, host, port }) {
  const root = resolve(pkgDir) + sep;
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, `http://${host}`).pathname;
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(PAGE);
      return;
    }
    const file = path.startsWith("/pkg/") ? normalize(join(root, path.slice("/pkg/".length))) : null;
    // A path that climbs out of the package folder is treated as unknown.
    if (file === null || !file.startsWith(root)) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
