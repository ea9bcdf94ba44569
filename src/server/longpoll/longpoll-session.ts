/**
 * A LongPoll session's process: it holds the session's transport, ends the session when the client
 * stops polling (no GET for more than 1.5 × `windowMs`; and within 0.5 × `windowMs` of its opening if
 * the client never comes back with its token: both clients poll at once, so such a session belongs to a
 * peer that opened it and left), and serves requests relayed from other nodes on the session's private topic. The socket's own
 * process (a SocketServer) sits behind the transport.
 */
import type { PubSub } from "../../pubsub/pubsub.js";
import type { TimerHandle } from "../../runtime/clock/clock.js";
import { Process } from "../../runtime/process/process.js";
import type { Runtime } from "../../runtime/process/runtime.js";
import type { DeliveryStatus, LongPollTransport, PollResult } from "./longpoll-transport.js";
import { isRelayRequest, sessionTopic, type RelayReply, type RelayRequest } from "./longpoll-relay.js";
import { decodeLine } from "./ndjson-batch.js";

/** @internal Everything a session is created with. */
export interface LongPollSessionInit {
  readonly id: string;
  readonly transport: LongPollTransport;
  readonly pubsub: PubSub;
  readonly windowMs: number;
  /** Called once when the session ends. */
  readonly onEnd: (id: string) => void;
}

const TIMEOUT_CHECK = Symbol("longpoll timeout check");

/** The answer body status of each poll result. */
export function pollStatus(result: PollResult): 200 | 204 | 410 {
  return result.kind === "messages" ? 200 : result.kind === "empty" ? 204 : 410;
}

/** @internal */
export class LongPollSession extends Process {
  readonly id: string;
  readonly transport: LongPollTransport;
  readonly #pubsub: PubSub;
  readonly #windowMs: number;
  readonly #onEnd: (id: string) => void;
  #lastPoll: number;
  /** Whether the client came back with its token (a poll or a POST) since the session opened. */
  #claimed = false;
  #timer: TimerHandle | null = null;

  constructor(runtime: Runtime, init: LongPollSessionInit) {
    super(runtime);
    this.id = init.id;
    this.transport = init.transport;
    this.#pubsub = init.pubsub;
    this.#windowMs = init.windowMs;
    this.#onEnd = init.onEnd;
    this.#lastPoll = runtime.clock.now();
    this.#pubsub.subscribe(sessionTopic(this.id), this.pid);
    this.#schedule(this.#timeoutMs);
  }

  /** How long the session lives without a poll: short until the client first comes back, then 1.5 windows. */
  get #timeoutMs(): number {
    return this.#claimed ? this.#windowMs * 1.5 : this.#windowMs * 0.5;
  }

  /**
   * Waits for frames (a GET); the poll keeps the session alive while it is parked, until `abandoned`
   * says its client went away.
   */
  async poll(abandoned?: AbortSignal): Promise<PollResult> {
    this.#claimed = true;
    this.#lastPoll = this.runtime.clock.now();
    const result = await this.transport.poll(this.#windowMs, abandoned);
    this.#lastPoll = this.runtime.clock.now();
    return result;
  }

  /**
   * Hands the lines of a POST to the socket, one at a time: each waits until the socket's process has
   * handled it, up to `windowMs`. Answers the POST's body status: 200 when every line was handled, 408
   * when one was not in time (the lines after it are not delivered), 410 when the session has ended. Lines
   * were validated by the handler; one that does not decode here is skipped.
   */
  async post(lines: readonly string[]): Promise<DeliveryStatus> {
    this.#claimed = true;
    let handled = false;
    for (const line of lines) {
      const frame = decodeLine(line);
      if (frame === null) continue;
      const status = await this.transport.deliver(frame.data, frame.binary, this.#windowMs);
      if (status !== 200) return status;
      handled = true;
    }
    // Every message was handled: 200, even if handling one of them closed the session (a disconnect the
    // client learns from its next poll). A batch with nothing to hand over says whether the session is there.
    return handled || !this.transport.closed ? 200 : 410;
  }

  /** Ends the session (its transport closed). */
  end(): void {
    if (this.alive) this.stop("normal");
  }

  protected handleMessage(message: unknown): void {
    if (message === TIMEOUT_CHECK) this.#check();
    else if (isRelayRequest(message)) this.#relayed(message);
  }

  protected override onExit(): void {
    if (this.#timer !== null) this.runtime.cancelTimer(this.#timer);
    this.transport.expire();
    this.#onEnd(this.id);
  }

  #relayed(request: RelayRequest): void {
    const answer = (lp: RelayReply["lp"], status: number, messages: readonly string[] = []) => {
      const reply: RelayReply = { lp, replyTopic: request.replyTopic, status, messages };
      try {
        this.#pubsub.directBroadcast(request.replyNode, request.replyTopic, reply);
      } catch {
        // This node's PubSub stopped: the requester times out and treats the session as gone.
      }
    };
    answer("alive", 200);
    if (request.lp === "post") {
      void this.post(request.lines).then((status) => answer("result", status));
      return;
    }
    void this.poll().then((result) => answer("result", pollStatus(result), result.kind === "messages" ? result.messages : []));
  }

  #schedule(ms: number): void {
    this.#timer = this.runtime.sendAfter(this.pid, TIMEOUT_CHECK, ms);
  }

  #check(): void {
    this.#timer = null;
    const remaining = this.#timeoutMs - (this.runtime.clock.now() - this.#lastPoll);
    if (this.transport.polling || remaining > 0) {
      this.#schedule(this.transport.polling ? this.#timeoutMs : remaining);
      return;
    }
    this.transport.expire();
    this.end();
  }
}
