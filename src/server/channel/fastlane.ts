/**
 * The fastlane: a broadcast to channel subscribers is encoded once per serializer and the same bytes are
 * written to every subscribed transport, bypassing the channel processes. Only events a channel intercepts
 * go through its process (and its `handleOut`). It is the server's dispatcher, registered by every
 * endpoint on its PubSub under {@link FASTLANE_DISPATCHER}; the PubSub itself knows nothing of the wire.
 */
import type { Broadcast } from "../../protocol/message.js";
import type { Serializer } from "../../protocol/serializer.js";
import type { Dispatcher } from "../../pubsub/subscriber.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { TelemetryEvent, telemetryChannels, type BroadcastDelivered } from "../../telemetry/events.js";

const BROADCASTS = telemetryChannels[TelemetryEvent.BROADCAST];

export { FASTLANE_DISPATCHER } from "../../pubsub/subscriber.js";

/** A transport that can take frames encoded once for many subscribers. */
export interface FastlaneTarget {
  /** The serializer this transport's client speaks. */
  readonly serializer: Serializer;
  /**
   * Writes an already encoded frame. Text frames arrive as UTF-8 bytes, so the same buffer serves every
   * subscriber; `binary` says which opcode to use. `message` is the broadcast the frame encodes (its topic
   * and event decide what a slow client's connection may drop).
   */
  sendEncoded(data: Uint8Array, binary: boolean, message?: Broadcast): void;
}

/**
 * Subscription metadata that puts a subscriber on the fastlane.
 *
 * @remarks
 * Events listed in `intercept` are not written to the transport: the subscriber's process receives a
 * {@link InterceptedBroadcast} instead.
 */
export class FastlaneSubscription {
  constructor(
    readonly target: FastlaneTarget,
    readonly intercept: ReadonlySet<string>,
  ) {}
}

/** What a fastlane subscriber's process receives for an event it intercepts. */
export class InterceptedBroadcast {
  constructor(readonly broadcast: Broadcast) {}
}

const textEncoder = new TextEncoder();
const ENCODE_FAILED = Symbol("encode failed");

interface EncodedFrame {
  readonly data: Uint8Array;
  readonly binary: boolean;
}

function isBroadcast(message: unknown): message is Broadcast {
  const m = message as Broadcast | null;
  return typeof m === "object" && m !== null && typeof m.topic === "string" && typeof m.event === "string";
}

/**
 * Dispatches a {@link Broadcast}: fastlane subscribers get the encoded frame, intercepting and plain
 * subscribers get a message in their mailbox.
 *
 * @remarks
 * The encoding cache lives for one dispatch and is keyed by serializer, so a broadcast to 10,000 V2
 * clients costs one `JSON.stringify` and one UTF-8 encoding. A message that is not a Broadcast is sent
 * to every subscriber's mailbox unchanged.
 */
export const fastlaneDispatcher: Dispatcher = (subscribers, from, message, context) => {
  const { runtime, reportError } = context;
  if (!isBroadcast(message)) {
    for (const sub of subscribers) if (sub.pid !== from) runtime.send(sub.pid, message);
    return;
  }
  // Counted only while someone listens to the broadcast event.
  const traced = BROADCASTS.hasSubscribers;
  let reached = 0;
  let bytes = 0;
  // Almost every dispatch sees one serializer, so a one-entry cache in locals beats a Map.
  let lastSerializer: Serializer | null = null;
  let lastFrame: EncodedFrame | typeof ENCODE_FAILED | null = null;
  let others: Map<Serializer, EncodedFrame | typeof ENCODE_FAILED> | null = null;
  let intercepted: InterceptedBroadcast | null = null;

  for (const sub of subscribers) {
    if (sub.pid === from) continue;
    const meta = sub.meta;
    if (!(meta instanceof FastlaneSubscription)) {
      runtime.send(sub.pid, message);
      if (traced) reached++;
      continue;
    }
    if (meta.intercept.has(message.event)) {
      runtime.send(sub.pid, (intercepted ??= new InterceptedBroadcast(message)));
      if (traced) reached++;
      continue;
    }
    const serializer = meta.target.serializer;
    let frame: EncodedFrame | typeof ENCODE_FAILED | undefined;
    if (serializer === lastSerializer) {
      frame = lastFrame!;
    } else {
      frame = others?.get(serializer);
      if (frame === undefined) {
        frame = encode(serializer, message, reportError);
        if (lastSerializer !== null) (others ??= new Map()).set(lastSerializer, lastFrame!);
      }
      lastSerializer = serializer;
      lastFrame = frame;
    }
    if (frame !== ENCODE_FAILED) {
      meta.target.sendEncoded(frame.data, frame.binary, message);
      if (traced) {
        reached++;
        bytes += frame.data.byteLength;
      }
    }
  }
  if (traced) {
    BROADCASTS.publish({
      source: context.source,
      node: context.node,
      topic: message.topic,
      event: message.event,
      subscribers: reached,
      bytes,
      remote: context.remote,
    } satisfies BroadcastDelivered);
  }
};

function encode(
  serializer: Serializer,
  message: Broadcast,
  reportError: (error: Error) => void,
): EncodedFrame | typeof ENCODE_FAILED {
  try {
    const frame = serializer.encodeBroadcast(message);
    return typeof frame === "string"
      ? { data: textEncoder.encode(frame), binary: false }
      : { data: frame, binary: true };
  } catch (cause) {
    reportError(
      new ServerError(
        ServerErrorCode.BROADCAST_ENCODE_FAILED,
        `Broadcast "${message.event}" on "${message.topic}" could not be encoded for clients speaking ` +
          `vsn ${serializer.vsn}; those subscribers did not receive it.`,
        { cause },
      ),
    );
    return ENCODE_FAILED;
  }
}
