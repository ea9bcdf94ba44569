/**
 * Static file serving for the endpoint: folders mounted at URL prefixes, served with ETags and safe path
 * handling by `sirv`.
 */
import { statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import sirv from "sirv";
import { ServerError, ServerErrorCode } from "../errors.js";

type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** A folder served at a URL prefix. */
export class StaticMount {
  readonly prefix: string;
  readonly #handler: Handler;

  /** @throws ServerError `FENIX_ERR_SERVER_BAD_OPTION` when `dir` is not a folder. */
  constructor(prefix: string, dir: string) {
    const path = resolve(dir);
    if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      throw new ServerError(
        ServerErrorCode.BAD_OPTION,
        `The static folder ${JSON.stringify(dir)} (${path}) does not exist or is not a folder: create it, or leave out staticDir / endpoint.static().`,
      );
    }
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
