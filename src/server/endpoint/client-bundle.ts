/**
 * Serves the browser build of fenix/client at `/fenix/client.js` (and its source map), so a page can
 * `import { Socket } from "/fenix/client.js"` from any endpoint. The file comes from the package's
 * `dist/client/` (made by `npm run build`); it is read once and served with an ETag.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The URL path of the client bundle. */
export const CLIENT_BUNDLE_PATH = "/fenix/client.js";

const FILES: Record<string, { file: string; type: string }> = {
  [CLIENT_BUNDLE_PATH]: { file: "client.js", type: "text/javascript; charset=utf-8" },
  [`${CLIENT_BUNDLE_PATH}.map`]: { file: "client.js.map", type: "application/json; charset=utf-8" },
};

interface Loaded {
  readonly body: Buffer;
  readonly etag: string;
}

const cache = new Map<string, Loaded>();

/** The package's root: the nearest folder above this module whose package.json names `fenix`. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "fenix") return dir;
      } catch {
        // Not a readable manifest: keep looking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function load(name: string): Loaded | null {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const root = packageRoot();
  const file = root === null ? null : join(root, "dist", "client", name);
  if (file === null || !existsSync(file)) return null;
  const body = readFileSync(file);
  const loaded = { body, etag: `"${createHash("sha1").update(body).digest("base64url")}"` };
  cache.set(name, loaded);
  return loaded;
}

/** Whether `path` is one of the bundle's paths. */
export function isClientBundlePath(path: string): boolean {
  return path in FILES;
}

/** Answers a request for the bundle or its map: 200, 304, or 404 with how to build it. */
export function serveClientBundle(path: string, req: IncomingMessage, res: ServerResponse): void {
  const entry = FILES[path]!;
  const loaded = load(entry.file);
  if (loaded === null) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("The fenix/client browser build is missing: run `npm run build`.\n");
    return;
  }
  const headers = { etag: loaded.etag, "cache-control": "no-cache", "content-type": entry.type };
  if (req.headers["if-none-match"] === loaded.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, "content-length": String(loaded.body.length) });
  res.end(req.method === "HEAD" ? undefined : loaded.body);
}
