/**
 * The fastlane: a broadcast to channel subscribers is encoded once per serializer and the same bytes are
 * written to every subscribed transport, bypassing the channel processes. Only events a channel intercepts
 * go through its process (and its `handleOut`). It is the server's dispatcher, registered by every
 * endpoint on its PubSub under {@link FASTLANE_DISPATCHER}; the PubSub itself knows nothing of the wire.
 */
import type { Broadcast } from "../../protocol/message.js";
import type { Serializer } from "../../protocol/serializer.js";
import { subscribeRecord, type DispatchContext, type Dispatcher, type Subscriber } from "../../pubsub/subscriber.js";
import type { PubSub, SubscribeOptions } from "../../pubsub/pubsub.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { StreamPosition } from "../../protocol/position.js";
import { Reserved } from "../../protocol/reserved.js";
import type { KeptBroadcast } from "./channel-broadcast.js";
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

/** The mark of a {@link FastlaneSubscriber}: a subscriber whose `[FASTLANE]` is `true` is written to directly. */
export const FASTLANE: unique symbol = Symbol("fenix.fastlane");

/**
 * A subscriber on the fastlane: it is its own subscription record (a channel process subscribes itself,
 * so a joined channel costs no record or metadata object of its own in the PubSub).
 *
 * @remarks
 * Events listed in `intercept` are not written to the transport: the subscriber's process receives a
 * {@link InterceptedBroadcast} instead. Subscribers without the mark get every message in their mailbox.
 */
export interface FastlaneSubscriber extends Subscriber {
  readonly [FASTLANE]: true;
  /** Where its frames go. */
  readonly target: FastlaneTarget;
  /** Events its process handles itself (`handleOut`). */
  readonly intercept: ReadonlySet<string>;
  /**
   * While not null, broadcasts are kept here instead of being written: a channel catching up with its
   * topic's history holds live broadcasts until the missed ones are out, then writes these and sets it
   * back to null, in one synchronous step.
   */
  held: Broadcast[] | null;
  /**
   * After a catch-up: the position the client has reached. A kept broadcast at or before it is not
   * written (the store may have been read before its copy reached this node); the first one past it
   * clears the floor, as a topic's broadcasts arrive in offset order.
   */
  floor: StreamPosition | null;
}

const NO_EVENTS: ReadonlySet<string> = new Set();
/** Fastlane subscribers unsubscribe themselves when they end: no PubSub monitor for them. */
const UNWATCHED: SubscribeOptions = { watch: false };

/**
 * A fastlane subscriber that is only that: a process and where to write for it (the channel process is
 * its own; this one serves other subscribers and the fastlane's tests and benchmark).
 */
export class FastlaneSubscription implements FastlaneSubscriber {
  held: Broadcast[] | null = null;
  floor: StreamPosition | null = null;

  constructor(
    readonly pid: Pid,
    readonly target: FastlaneTarget,
    readonly intercept: ReadonlySet<string> = NO_EVENTS,
  ) {}

  get [FASTLANE](): true {
    return true;
  }

  /** The subscriber is its own metadata. */
  get meta(): unknown {
    return this;
  }
}

/**
 * Subscribes a fastlane subscriber to `topic` as its own record (see {@link FastlaneSubscriber}). The
 * subscriber unsubscribes itself (`pubsub.unsubscribe(topic, pid)`) when it is done; the PubSub does not
 * watch it.
 */
export function subscribeFastlane(pubsub: PubSub, topic: string, subscriber: FastlaneSubscriber): void {
  pubsub[subscribeRecord](topic, subscriber, UNWATCHED);
}

/** Whether `sub` is on the fastlane (a read of the mark, found on its prototype). */
function onFastlane(sub: Subscriber): sub is FastlaneSubscriber {
  return (sub as Partial<FastlaneSubscriber>)[FASTLANE] === true;
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
export const fastlaneDispatcher: Dispatcher = (subscribers, from, message, context, position) => {
  const { runtime, reportError } = context;
  if (!isBroadcast(message)) {
    for (const sub of subscribers) if (sub.pid !== from) runtime.send(sub.pid, message);
    return;
  }
  if (position !== undefined) {
    dispatchKept(subscribers, message, context, position);
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
    if (!onFastlane(sub)) {
      runtime.send(sub.pid, message);
      if (traced) reached++;
      continue;
    }
    if (sub.held !== null) {
      sub.held.push(message);
      continue;
    }
    if (sub.intercept.has(message.event)) {
      runtime.send(sub.pid, (intercepted ??= new InterceptedBroadcast(message)));
      if (traced) reached++;
      continue;
    }
    const serializer = sub.target.serializer;
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
      sub.target.sendEncoded(frame.data, frame.binary, message);
      if (traced) {
        reached++;
        bytes += frame.data.byteLength;
      }
    }
  }
  if (traced) publishDelivered(context, message.topic, message.event, reached, bytes);
};

function publishDelivered(context: DispatchContext, topic: string, event: string, subscribers: number, bytes: number): void {
  BROADCASTS.publish({ source: context.source, node: context.node, topic, event, subscribers, bytes, remote: context.remote } satisfies BroadcastDelivered);
}

/**
 * A broadcast with a position (its topic keeps history). As the plain path, plus: a subscriber catching up
 * holds it; the process `broadcastFrom` skips gets a position marker in its place, so that every client's
 * sequence of positions stays gapless.
 */
function dispatchKept(subscribers: Iterable<Subscriber>, message: KeptBroadcast, context: DispatchContext, position: StreamPosition): void {
  const { topic, event, payload, skip } = message;
  const broadcast: KeptBroadcast = skip === undefined ? { topic, event, payload, position } : { topic, event, payload, position, skip };
  const traced = BROADCASTS.hasSubscribers;
  let reached = 0;
  let bytes = 0;
  let frames: Map<Serializer, EncodedFrame | typeof ENCODE_FAILED> | null = null;
  let markers: Map<Serializer, EncodedFrame | typeof ENCODE_FAILED> | null = null;
  let intercepted: InterceptedBroadcast | null = null;
  for (const sub of subscribers) {
    if (!onFastlane(sub)) {
      context.runtime.send(sub.pid, broadcast);
      if (traced) reached++;
      continue;
    }
    if (sub.held !== null) {
      sub.held.push(broadcast);
      continue;
    }
    if (sub.floor !== null) {
      if (sub.floor.epoch === position.epoch && position.offset <= sub.floor.offset) continue;
      sub.floor = null;
    }
    const serializer = sub.target.serializer;
    if (skip !== undefined && sub.pid.id === skip.id && sub.pid.node === skip.node) {
      markers ??= new Map();
      let marker = markers.get(serializer);
      if (marker === undefined) markers.set(serializer, (marker = encode(serializer, positionMarker(topic, position), context.reportError)));
      if (marker !== ENCODE_FAILED) sub.target.sendEncoded(marker.data, marker.binary);
      continue;
    }
    if (sub.intercept.has(event)) {
      context.runtime.send(sub.pid, (intercepted ??= new InterceptedBroadcast(broadcast)));
      if (traced) reached++;
      continue;
    }
    frames ??= new Map();
    let frame = frames.get(serializer);
    if (frame === undefined) frames.set(serializer, (frame = encode(serializer, broadcast, context.reportError)));
    if (frame !== ENCODE_FAILED) {
      sub.target.sendEncoded(frame.data, frame.binary, broadcast);
      if (traced) {
        reached++;
        bytes += frame.data.byteLength;
      }
    }
  }
  if (traced) publishDelivered(context, topic, event, reached, bytes);
}

/** @internal What a client is sent in place of a kept broadcast it must not see: its position alone. */
export function positionMarker(topic: string, position: StreamPosition): Broadcast {
  return { topic, event: Reserved.POSITION, payload: {}, position };
}

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
