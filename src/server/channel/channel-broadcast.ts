/**
 * How the server layer broadcasts a channel event: the payload checked, then one PubSub broadcast
 * through the fastlane dispatcher (encoded once per serializer for the subscribed connections). The
 * Endpoint and the channel test kit's endpoint both broadcast this way.
 */
import type { Payload } from "../../protocol/message.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { PubSub } from "../../pubsub/pubsub.js";
import { assertPayload } from "./channel.js";
import { FASTLANE_DISPATCHER } from "./fastlane.js";

const VIA_FASTLANE = { dispatcher: FASTLANE_DISPATCHER } as const;

/** @internal Broadcasts `event` to every subscriber of `topic` on every node. */
export function broadcastEvent(pubsub: PubSub, topic: string, event: string, payload: Payload): void {
  assertPayload(payload, "broadcast");
  pubsub.broadcast(topic, { topic, event, payload }, VIA_FASTLANE);
}

/** @internal Like {@link broadcastEvent}, but skips the process `from`. */
export function broadcastEventFrom(pubsub: PubSub, from: Pid, topic: string, event: string, payload: Payload): void {
  assertPayload(payload, "broadcastFrom");
  pubsub.broadcastFrom(from, topic, { topic, event, payload }, VIA_FASTLANE);
}

/** @internal Like {@link broadcastEvent}, on this node only. */
export function localBroadcastEvent(pubsub: PubSub, topic: string, event: string, payload: Payload): void {
  assertPayload(payload, "localBroadcast");
  pubsub.localBroadcast(topic, { topic, event, payload }, VIA_FASTLANE);
}
