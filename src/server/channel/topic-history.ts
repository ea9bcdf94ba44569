/**
 * Reading a topic's history as channels and the endpoint see it: channel events (event, payload) with
 * their positions, read through the PubSub from whichever store keeps the topic's stream.
 */
import type { Payload } from "../../protocol/message.js";
import type { StreamPosition } from "../../protocol/position.js";
import type { PubSub } from "../../pubsub/pubsub.js";
import type { KeptBroadcast } from "./channel-broadcast.js";
import type { HistorySettings } from "./channel-route.js";

/** One kept broadcast. */
export interface HistoryItem {
  readonly event: string;
  readonly payload: Payload;
  readonly position: StreamPosition;
}

/** A topic's newest kept broadcasts and its position (the position of the last broadcast, or offset 0). */
export interface TopicHistory {
  readonly position: StreamPosition;
  /** Oldest first. */
  readonly messages: readonly HistoryItem[];
}

/** @internal Reads the newest `limit` broadcasts kept for `topic`. */
export async function readTopicHistory(pubsub: PubSub, topic: string, settings: HistorySettings, limit: number): Promise<TopicHistory> {
  const page = await pubsub.history(topic, { limit: Math.max(0, Math.min(limit, settings.size)) }, settings);
  const { epoch } = page.position;
  const messages: HistoryItem[] = [];
  for (const { offset, message } of page.messages) {
    const { event, payload } = message as KeptBroadcast;
    messages.push({ event, payload, position: { epoch, offset } });
  }
  return { position: page.position, messages };
}
