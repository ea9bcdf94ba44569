/**
 * The base class of every error Fenix throws or reports. Each layer defines its own subclass and its
 * own table of stable codes (`FENIX_ERR_<AREA>_<PROBLEM>`) in its `errors.ts`; docs/errors.md lists them all.
 */

/**
 * An error with a stable, documented `code`.
 *
 * @remarks
 * Match on `code`, never on `message`: messages explain the problem to a person and may change between
 * releases, codes do not. Every code is listed in docs/errors.md.
 *
 * @example
 * ```ts
 * try { endpoint.socket("socket", UserSocket); }
 * catch (err) { if (err instanceof FenixError && err.code === "FENIX_ERR_SERVER_BAD_PATH") { … } }
 * ```
 */
export class FenixError extends Error {
  /** Stable machine-readable code, `FENIX_ERR_<AREA>_<PROBLEM>`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}
