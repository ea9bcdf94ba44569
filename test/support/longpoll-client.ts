/**
 * A raw LongPoll client for tests: one `fetch` per request to `<mount>/longpoll`, the body parsed, and
 * helpers to open a session, post ndjson lines and poll until the expected frames arrived.
 */

/** A LongPoll answer: the HTTP status, the headers and the JSON body (when there is one). */
export interface LongPollAnswer {
  readonly http: number;
  readonly headers: Headers;
  readonly body: { status: number; token?: string; messages?: string[] } | null;
}

/** Options of {@link longpoll}. */
export interface LongPollRequest {
  readonly method?: string;
  /** Sent as the `token` query parameter. */
  readonly token?: string;
  /** Extra query string, such as `vsn=2.0.0&user=alice`. @defaultValue `vsn=2.0.0` */
  readonly query?: string;
  readonly headers?: Record<string, string>;
  /** A POST body; an array is sent as ndjson lines. */
  readonly body?: string | readonly string[];
}

/** Sends one request to `<baseUrl>/longpoll` (`baseUrl` such as `http://127.0.0.1:4000/socket`). */
export async function longpoll(baseUrl: string, request: LongPollRequest = {}): Promise<LongPollAnswer> {
  const query = [request.query ?? "vsn=2.0.0", request.token === undefined ? "" : `token=${encodeURIComponent(request.token)}`]
    .filter((part) => part.length > 0)
    .join("&");
  const ndjson = Array.isArray(request.body);
  const body = Array.isArray(request.body) ? request.body.join("\n") : (request.body as string | undefined);
  const response = await fetch(`${baseUrl}/longpoll?${query}`, {
    method: request.method ?? (body === undefined ? "GET" : "POST"),
    headers: { ...(ndjson ? { "content-type": "application/x-ndjson" } : {}), ...request.headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { http: response.status, headers: response.headers, body: text.length === 0 ? null : (JSON.parse(text) as LongPollAnswer["body"]) };
}

/** Opens a session and returns its token. */
export async function openSession(baseUrl: string, query?: string): Promise<string> {
  const answer = await longpoll(baseUrl, query === undefined ? {} : { query });
  if (answer.body?.status !== 410 || typeof answer.body.token !== "string") {
    throw new Error(`expected a new session (410 with a token), got ${JSON.stringify(answer.body)}`);
  }
  return answer.body.token;
}

/** A V2 text frame. */
export function frame(joinRef: string | null, ref: string | null, topic: string, event: string, payload: object = {}): string {
  return JSON.stringify([joinRef, ref, topic, event, payload]);
}

/** A V2 frame as the client decodes it. */
export type DecodedFrame = [string | null, string | null, string, string, Record<string, unknown>];

/** Polls until `count` frames arrived (each GET answers 200 or 204); rejects after `timeoutMs`. */
export async function pollFrames(baseUrl: string, token: string, count: number, timeoutMs = 3_000): Promise<DecodedFrame[]> {
  const frames: DecodedFrame[] = [];
  const deadline = Date.now() + timeoutMs;
  while (frames.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} frames within ${timeoutMs} ms, got ${JSON.stringify(frames)}`);
    const answer = await longpoll(baseUrl, { token });
    if (answer.body?.status === 200) for (const message of answer.body.messages ?? []) frames.push(JSON.parse(message) as DecodedFrame);
    else if (answer.body?.status !== 204) throw new Error(`unexpected poll answer ${JSON.stringify(answer.body)}`);
  }
  return frames;
}
