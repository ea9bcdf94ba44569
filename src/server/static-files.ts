/**
 * Static file serving for the endpoint: folders mounted at URL prefixes, served with ETags and safe path
 * handling by `sirv`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import sirv from "sirv";

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** A folder served at a URL prefix. */
export class StaticMount {
  readonly prefix: string;
  readonly #handler: Handler;

  constructor(prefix: string, dir: string) {
    this.prefix = prefix === "/" ? "" : prefix.replace(/\/+$/, "");
    this.#handler = sirv(dir, { etag: true, dev: false, dotfiles: false }) as Handler;
  }

  /** Serves the request if it is under this prefix and names a file; otherwise calls `next`. */
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const url = req.url ?? "/";
    if (this.prefix === "") return this.#handler(req, res, next);
    if (url !== this.prefix && !url.startsWith(`${this.prefix}/`) && !url.startsWith(`${this.prefix}?`)) return next();
    const original = url;
    req.url = url.slice(this.prefix.length) || "/";
    this.#handler(req, res, () => {
      req.url = original;
      next();
    });
  }
}
