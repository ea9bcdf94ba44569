/**
 * Reading a LongPoll POST body with its size limit enforced while it streams in: a body that announces or
 * reaches more than the limit stops being read at once, so the server never holds more than the limit for
 * one request, whatever the client sends.
 */
import type { IncomingMessage } from "node:http";

/** How reading a body ended: its text, too large (reading stopped), or the client went away first. */
export type BodyResult = { readonly kind: "body"; readonly text: string } | { readonly kind: "too-large" } | { readonly kind: "aborted" };

const TOO_LARGE: BodyResult = { kind: "too-large" };
const ABORTED: BodyResult = { kind: "aborted" };

/** Whether the request's `Content-Length` already says the body is longer than `maxBytes`. */
export function announcesMoreThan(request: IncomingMessage, maxBytes: number): boolean {
  const length = request.headers["content-length"];
  return length !== undefined && Number(length) > maxBytes;
}

/**
 * Reads the body as UTF-8 text, up to `maxBytes`. Chunks past the limit are not kept: the reading stops
 * with `too-large` and the request is paused, for the caller to answer and close the connection.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  if (announcesMoreThan(request, maxBytes)) return Promise.resolve(TOO_LARGE);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyResult) => {
      request.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
      chunks.length = 0;
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.pause();
        settle(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const text = Buffer.concat(chunks, size).toString("utf8");
      settle({ kind: "body", text });
    };
    // `close` before `end`: the client went away mid-body.
    const onGone = () => settle(ABORTED);
    request.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
  });
}
