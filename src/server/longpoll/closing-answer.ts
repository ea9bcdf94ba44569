/**
 * Answering a LongPoll request whose body is not read (a bad token, a body too large, a client over its
 * quota) and closing its connection, so the client cannot keep sending on it, without losing the answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** What {@link answerAndClose} sends: a bare HTTP status, or HTTP 200 with a JSON body. */
export interface ClosingAnswer {
  readonly http: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** How long a closing connection stays up after its answer, for the client to read it. */
const LINGER_MS = 1_000;

/**
 * Answers and closes the connection (`Connection: close`) without reading what is left of the request
 * body: a client that sends too much, too often, or without a valid token gets no keep-alive connection
 * to keep sending on. The answer is written and the socket half-closed at once; the socket is destroyed
 * when the client closes it or after {@link LINGER_MS}, whichever is first. Destroying it at once would
 * make the kernel reset a connection with unread bytes, and a client still sending would lose the answer.
 */
export function answerAndClose(request: IncomingMessage, response: ServerResponse, answer: ClosingAnswer): void {
  const socket = request.socket;
  request.pause();
  if (response.headersSent) {
    socket.destroy();
    return;
  }
  response.writeHead(answer.http, { ...answer.headers, connection: "close", "content-length": String(Buffer.byteLength(answer.body)) });
  // Not `end()`: Node would destroy the socket as soon as the answer is written. The answer is complete by
  // its length; what stays unread is bounded by the paused request's buffers.
  response.flushHeaders();
  if (answer.body.length > 0) response.write(answer.body);
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}
