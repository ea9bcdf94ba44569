/**
 * Serves the dashboard page: `index.html` (with the mount path and socket path filled in) and its
 * assets (`assets/dashboard.js`, `assets/dashboard.css`, their source maps), built by
 * scripts/build-dashboard.mjs into the package's `dist/dashboard/`. Files are read once and served with
 * an ETag. The page is answered with headers that keep it out of frames and its token out of referrers.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the build is: `dist/dashboard/` seen from `src/dashboard/` (tsx) or from `dist/src/dashboard/` (built). */
const CANDIDATES = ["../../dist/dashboard/", "../../dashboard/"].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** The page's headers: no framing, no referrer (the URL may carry a token), no caching of data-bearing HTML. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

interface Loaded {
  readonly body: Buffer;
  readonly etag: string;
  readonly type: string;
}

/** The built dashboard folder, or `null` when the page has not been built. */
export function dashboardBuildDir(): string | null {
  return CANDIDATES.find((dir) => existsSync(join(dir, "index.html"))) ?? null;
}

/** Serves one dashboard's page and assets. */
export class PageAssets {
  readonly #base: string;
  readonly #socketPath: string;
  readonly #cache = new Map<string, Loaded | null>();

  /** `base` is the page's path (`/dashboard`), `socketPath` its socket's mount. */
  constructor(base: string, socketPath: string) {
    this.#base = base;
    this.#socketPath = socketPath;
  }

  /** Whether the build is present. */
  get built(): boolean {
    return dashboardBuildDir() !== null;
  }

  /** Answers the page itself. */
  servePage(req: IncomingMessage, res: ServerResponse): void {
    const page = this.#load("index.html");
    if (page === null) {
      missing(res);
      return;
    }
    this.#send(req, res, page, PAGE_HEADERS);
  }

  /** Answers `assets/<name>`: 200, 304, or 404. */
  serveAsset(name: string, req: IncomingMessage, res: ServerResponse): void {
    const asset = /^[\w.-]+$/.test(name) ? this.#load(`assets/${name}`) : null;
    if (asset === null) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    this.#send(req, res, asset, { "cache-control": "no-cache", "x-content-type-options": "nosniff" });
  }

  #send(req: IncomingMessage, res: ServerResponse, file: Loaded, headers: Record<string, string>): void {
    const all = { ...headers, etag: file.etag, "content-type": file.type };
    if (req.headers["if-none-match"] === file.etag) {
      res.writeHead(304, all).end();
      return;
    }
    res.writeHead(200, { ...all, "content-length": String(file.body.length) });
    res.end(req.method === "HEAD" ? undefined : file.body);
  }

  #load(name: string): Loaded | null {
    if (this.#cache.has(name)) return this.#cache.get(name)!;
    const dir = dashboardBuildDir();
    const file = dir === null ? null : join(dir, name);
    if (file === null || !existsSync(file)) return null;
    let body = readFileSync(file);
    if (name === "index.html") {
      body = Buffer.from(body.toString("utf8").replaceAll("%FENIX_DASHBOARD_BASE%", this.#base).replaceAll("%FENIX_DASHBOARD_SOCKET%", this.#socketPath));
    }
    const loaded = { body, etag: `"${createHash("sha1").update(body).digest("base64url")}"`, type: TYPES[extname(name)] ?? "application/octet-stream" };
    this.#cache.set(name, loaded);
    return loaded;
  }
}

function missing(res: ServerResponse): void {
  res
    .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
    .end("The dashboard page is not built (FENIX_ERR_DASHBOARD_PAGE_MISSING): run `npm run build`, or `node scripts/build-dashboard.mjs` in a checkout.\n");
}
