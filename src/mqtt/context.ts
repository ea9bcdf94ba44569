/**
 * What every MQTT connection of one `enableMqtt` shares: the endpoint, the node's broker, the resolved
 * options, and the channel routes its topics bridge to.
 */
import type { RouteTarget } from "../server/channel/channel-route.js";
import type { EndpointContext } from "../server/endpoint/endpoint-context.js";
import type { TopicRouter } from "../server/channel/topic-pattern.js";
import type { Broker } from "./broker.js";
import type { MqttBridgeRoute, MqttSettings } from "./options.js";

/** @internal */
export interface MqttContext {
  readonly endpoint: EndpointContext;
  readonly broker: Broker;
  readonly settings: MqttSettings;
  /** The socket's channel routes, when a socket is bridged. */
  readonly channels: TopicRouter<RouteTarget> | null;
  /** The bridge options of each channel route pattern. */
  readonly bridgeRoutes: ReadonlyMap<string, MqttBridgeRoute>;
  /** How connections are named in client errors and `endpoint.connections()`. */
  readonly path: string;
  connectionOpened(connection: object): void;
  connectionClosed(connection: object, reason: string): void;
}
