/**
 * How the server layer broadcasts a channel event: the payload checked, then one PubSub broadcast
 * through the fastlane dispatcher (encoded once per serializer for the subscribed connections). On a
 * topic with history, the broadcast is kept in the topic's stream and carries its position. The Endpoint
 * and the channel test kit's endpoint both broadcast this way.
 */
import type { Broadcast, Payload } from "../../protocol/message.js";
import type { Pid } from "../../runtime/process/pid.js";
import type { PubSub } from "../../pubsub/pubsub.js";
import { assertPayload } from "./channel.js";
import type { HistorySettings } from "./channel-route.js";
import { FASTLANE_DISPATCHER } from "./fastlane.js";
import { ServerError, ServerErrorCode } from "../errors.js";

const VIA_FASTLANE = { dispatcher: FASTLANE_DISPATCHER } as const;

/**
 * @internal A broadcast kept in a topic's history by `broadcastFrom`: the process to skip travels with it
 * (by node and id, as it may come back from another node's store), and gets a position marker instead.
 */
export interface KeptBroadcast extends Broadcast {
  readonly skip?: { readonly node: string; readonly id: number };
}

/** @internal Broadcasts `event` to every subscriber of `topic` on every node. */
export function broadcastEvent(pubsub: PubSub, topic: string, event: string, payload: Payload, history: HistorySettings | null = null): void {
  assertPayload(payload, "broadcast");
  if (history === null) {
    pubsub.broadcast(topic, { topic, event, payload }, VIA_FASTLANE);
    return;
  }
  assertKeepable(payload, topic, "broadcast");
  pubsub.broadcast(topic, { topic, event, payload } satisfies KeptBroadcast, { dispatcher: FASTLANE_DISPATCHER, history });
}

/** @internal Like {@link broadcastEvent}, but skips the process `from`. */
export function broadcastEventFrom(
  pubsub: PubSub,
  from: Pid,
  topic: string,
  event: string,
  payload: Payload,
  history: HistorySettings | null = null,
): void {
  assertPayload(payload, "broadcastFrom");
  if (history === null) {
    pubsub.broadcastFrom(from, topic, { topic, event, payload }, VIA_FASTLANE);
    return;
  }
  assertKeepable(payload, topic, "broadcastFrom");
  const message: KeptBroadcast = { topic, event, payload, skip: { node: from.node, id: from.id } };
  pubsub.broadcast(topic, message, { dispatcher: FASTLANE_DISPATCHER, history });
}

/** @internal Like {@link broadcastEvent}, on this node only (never kept: a history spans every node). */
export function localBroadcastEvent(pubsub: PubSub, topic: string, event: string, payload: Payload): void {
  assertPayload(payload, "localBroadcast");
  pubsub.localBroadcast(topic, { topic, event, payload }, VIA_FASTLANE);
}

/** Binary frames have no ref to carry a position in: history topics carry JSON payloads. */
function assertKeepable(payload: Payload, topic: string, what: string): void {
  if (payload instanceof Uint8Array) {
    throw new ServerError(
      ServerErrorCode.BAD_PAYLOAD,
      `${what}() on "${topic}" keeps history, whose positions travel in the ref of text frames; binary frames have ` +
        `no place for it. Send a JSON object (base64 the bytes), or use a route without history.`,
    );
  }
}
