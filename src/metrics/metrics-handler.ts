/**
 * The HTTP side of the metrics: answers a scrape with the Prometheus text format. The request is
 * checked first (by default: loopback peers only, 403 for the others), then its method (`GET` and `HEAD`,
 * 405 for the rest). A check or a scrape that fails answers 500 and is logged with its code.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../server/endpoint/logger.js";
import { MetricsError, MetricsErrorCode } from "./errors.js";
import { isLoopback } from "./loopback.js";

/** Decides whether a request may read the metrics. */
export type MetricsCheck = (request: IncomingMessage) => boolean | Promise<boolean>;

/** The default {@link MetricsCheck}: the TCP peer is a loopback address. */
export const loopbackOnly: MetricsCheck = (request) => isLoopback(request.socket.remoteAddress);

/** What the handler serves and where it reports. */
export interface MetricsSource {
  /** The exposition text, or a rejection with `FENIX_ERR_METRICS_SCRAPE_FAILED`. */
  scrape(): Promise<string>;
  readonly contentType: string;
  /** Whether the metrics were stopped: the handler then answers 404. */
  readonly stopped: boolean;
}

const PLAIN = "text/plain; charset=utf-8";

/** A request handler serving `source`, guarded by `check`. */
export function createMetricsHandler(source: MetricsSource, check: MetricsCheck, logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(source, check, logger, req, res);
  };
}

async function serve(source: MetricsSource, check: MetricsCheck, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (source.stopped) return answer(res, 404, "Not found\n");
  let allowed: boolean;
  try {
    allowed = (await check(req)) === true;
  } catch (cause) {
    const error = new MetricsError(MetricsErrorCode.CHECK_FAILED, "The metrics route's check threw; the scrape was answered 500.", { cause });
    logger.error(error.message, { code: error.code, error });
    return answer(res, 500, "Internal server error\n");
  }
  if (!allowed) return answer(res, 403, "Forbidden\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return answer(res, 405, "Method not allowed\n");
  }
  let text: string;
  try {
    text = await source.scrape();
  } catch (err) {
    logger.error(err instanceof Error ? err.message : String(err), { code: MetricsErrorCode.SCRAPE_FAILED, error: err });
    return answer(res, 500, "Internal server error\n");
  }
  res.writeHead(200, {
    "content-type": source.contentType,
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : text);
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": PLAIN, "content-length": Buffer.byteLength(body) }).end(body);
}
