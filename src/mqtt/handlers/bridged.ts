/**
 * Which MQTT topics are channel topics: those whose mapped channel topic matches a route of the bridged
 * socket. They are served by channels (join, handleIn, push, broadcast), never by the broker's tree.
 */
import type { MqttContext } from "../context.js";
import type { MqttBridgeRoute } from "../options.js";

/** The channel topic and route of an MQTT topic name, or null when it is a broker topic. */
export function channelRoute(ctx: MqttContext, mqttTopic: string): { readonly topic: string; readonly pattern: string; readonly options: MqttBridgeRoute } | null {
  if (ctx.channels === null) return null;
  const topic = ctx.settings.topics.toChannel(mqttTopic);
  const route = ctx.channels.route(topic);
  if (route === undefined) return null;
  return { topic, pattern: route.pattern, options: ctx.bridgeRoutes.get(route.pattern) ?? {} };
}

/** Whether an MQTT topic name is served by a channel. */
export function isBridgedTopic(ctx: MqttContext, mqttTopic: string): boolean {
  return channelRoute(ctx, mqttTopic) !== null;
}
