/**
 * A test's own subscription to a topic: a process subscribed on the PubSub that records every channel
 * broadcast on the topic (as a plain subscriber, it receives `{ topic, event, payload }` objects), for
 * `assertBroadcast` and `refuteBroadcast`.
 */
import type { Broadcast } from "../protocol/message.js";
import type { PubSub } from "../pubsub/pubsub.js";
import type { Pid } from "../runtime/process/pid.js";
import { Process } from "../runtime/process/process.js";
import { Arrivals, type Arrival } from "./arrivals.js";
import { TestingErrorCode } from "./errors.js";
import type { EventMap, ServerEvent, ServerEventPayload, UntypedEvents } from "./event-map.js";
import type { Match } from "./match.js";
import type { Settler } from "./settler.js";
import { windowOf, type AssertOptions, type RefuteOptions, type Timeouts } from "./timeouts.js";

function isBroadcast(message: unknown): message is Broadcast {
  const m = message as Partial<Broadcast> | null;
  return typeof m === "object" && m !== null && typeof m.topic === "string" && typeof m.event === "string" && m.payload !== undefined;
}

/** The process behind a subscription. */
class BroadcastRecorder extends Process {
  readonly #record: (arrival: Arrival) => void;

  constructor(pubsub: PubSub, record: (arrival: Arrival) => void) {
    super(pubsub.runtime);
    this.#record = record;
  }

  protected handleMessage(message: unknown): void {
    if (isBroadcast(message)) this.#record({ event: message.event, payload: message.payload });
  }

  close(): void {
    if (this.alive) this.stop("shutdown");
  }
}

/**
 * The broadcasts that went over one topic since the subscription began.
 *
 * @remarks
 * Every channel broadcast on the topic is seen — `broadcast` and `broadcastFrom` of channels (the sender
 * included), `endpoint.broadcast`, presence diffs — whoever the clients are. Get one with
 * `kit.subscribe(topic)`; a test channel has one from before its join (`room.assertBroadcast`).
 *
 * @example
 * ```ts
 * declare const kit: ChannelTest;
 * const lobby = kit.subscribe("room:lobby");
 * kit.broadcast("room:lobby", "notice", { text: "hi" });
 * await lobby.assertBroadcast("notice", { text: "hi" });
 * ```
 */
export class TopicSubscription<E extends EventMap = UntypedEvents> {
  /** The topic subscribed to. */
  readonly topic: string;
  readonly #pubsub: PubSub;
  readonly #arrivals: Arrivals;
  readonly #recorder: BroadcastRecorder;
  readonly #timeouts: Timeouts;

  /** @internal Use `kit.subscribe(topic)`. */
  constructor(pubsub: PubSub, settler: Settler, timeouts: Timeouts, topic: string) {
    this.topic = topic;
    this.#pubsub = pubsub;
    this.#timeouts = timeouts;
    this.#arrivals = new Arrivals(
      {
        noun: "broadcast",
        place: `on topic "${topic}"`,
        missing: TestingErrorCode.BROADCAST_NOT_RECEIVED,
        unexpected: TestingErrorCode.UNEXPECTED_BROADCAST,
      },
      settler,
    );
    this.#recorder = new BroadcastRecorder(pubsub, (arrival) => this.#arrivals.add(arrival));
    pubsub.subscribe(topic, this.#recorder.pid);
  }

  /** The pid of the subscribed process (to skip it with `broadcastFrom`, for example). */
  get pid(): Pid {
    return this.#recorder.pid;
  }

  /** Broadcasts seen and not yet asserted, oldest first. */
  get broadcasts(): readonly Arrival[] {
    return this.#arrivals.items;
  }

  /**
   * Waits for a broadcast of `event` whose payload matches `match`, consumes it and returns its payload.
   * @throws TestingError `FENIX_ERR_TESTING_BROADCAST_NOT_RECEIVED`, listing the broadcasts seen instead.
   */
  async assertBroadcast<K extends ServerEvent<E>>(
    event: K,
    match?: Match<ServerEventPayload<E, K>>,
    options: AssertOptions = {},
  ): Promise<ServerEventPayload<E, K>> {
    const window = windowOf(options.timeoutMs, this.#timeouts.assertTimeoutMs, "timeoutMs");
    return (await this.#arrivals.assert(event, match, window)) as ServerEventPayload<E, K>;
  }

  /**
   * Fails if a broadcast of `event` matching `match` is seen within the window (or was seen and not yet
   * asserted).
   * @throws TestingError `FENIX_ERR_TESTING_UNEXPECTED_BROADCAST`.
   */
  async refuteBroadcast<K extends ServerEvent<E>>(event: K, match?: Match<ServerEventPayload<E, K>>, options: RefuteOptions = {}): Promise<void> {
    const window = windowOf(options.withinMs, this.#timeouts.refuteWithinMs, "withinMs");
    await this.#arrivals.refute(event, match, window);
  }

  /** Ends the subscription (the kit ends every subscription when it stops). */
  close(): void {
    this.#pubsub.unsubscribe(this.topic, this.#recorder.pid);
    this.#recorder.close();
  }
}
