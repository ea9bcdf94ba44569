/**
 * One push of a channel waiting for its reply: its promise, its timeout (which starts when the push is
 * made, even while it waits in the channel's buffer), and how a reply, a timeout or a lost connection
 * settles it. A push nobody awaits never causes an unhandled rejection.
 */
import type { ClientClock, ClientTimerHandle } from "./clock.js";
import { ClientError, ClientErrorCode } from "./errors.js";
import type { ClientPayload } from "./events.js";

/** Options of `channel.push`. */
export interface PushOptions {
  /** How long to wait for the reply, in ms, from the moment of the push. @defaultValue the socket's `timeoutMs` */
  readonly timeout?: number;
}

/** A push in progress (internal to the channel). */
export class OutgoingPush<R> {
  readonly topic: string;
  readonly event: string;
  readonly payload: ClientPayload;
  /** The promise handed to the caller: the `"ok"` reply's response, or a {@link ClientError}. */
  readonly promise: Promise<R>;
  /** The ref it was last sent with; null while it waits in the buffer. */
  ref: string | null = null;
  #resolve!: (value: R) => void;
  #reject!: (error: ClientError) => void;
  readonly #clock: ClientClock;
  #timer: ClientTimerHandle | undefined;
  #settled = false;

  constructor(topic: string, event: string, payload: ClientPayload, timeoutMs: number, clock: ClientClock, onTimeout: (push: OutgoingPush<R>) => void) {
    this.topic = topic;
    this.event = event;
    this.payload = payload;
    this.#clock = clock;
    this.promise = new Promise<R>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Marks the promise handled: a caller who awaits it still sees the rejection, one who does not is not hurt.
    this.promise.catch(() => {});
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      onTimeout(this);
      this.fail(new ClientError(ClientErrorCode.PUSH_TIMEOUT, `No reply to "${event}" on "${topic}" within ${timeoutMs} ms.`, { topic, event }));
    }, timeoutMs);
  }

  /** Whether the push has been settled (replied, timed out or failed). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Settles with the server's reply: `"ok"` resolves with the response, any other status rejects with PUSH_ERROR. */
  reply(status: string, response: unknown): void {
    if (status === "ok") {
      if (this.#finish()) this.#resolve(response as R);
      return;
    }
    this.fail(
      new ClientError(ClientErrorCode.PUSH_ERROR, `The server answered "${this.event}" on "${this.topic}" with status "${status}".`, {
        topic: this.topic,
        event: this.event,
        status,
        response,
      }),
    );
  }

  /** Rejects with `error` (no effect once settled). */
  fail(error: ClientError): void {
    if (this.#finish()) this.#reject(error);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return true;
  }
}
