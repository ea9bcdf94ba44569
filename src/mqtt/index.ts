/**
 * `fenix/mqtt`: MQTT 3.1.1 and 5.0 on a Fenix endpoint — a broker whose topics reach every node through
 * PubSub, bridged to channels so that MQTT devices and WebSocket clients share topics, authorization and
 * presence. See docs/mqtt.md.
 */
export { enableMqtt } from "./mqtt-server.js";
export type { MqttPublishOptions, MqttServer, MqttStats } from "./mqtt-server.js";
export type { MqttBridgeRoute, MqttClientInfo, MqttInbound, MqttOptions, MqttTopicMapping } from "./options.js";
export { defaultTopicMapping } from "./options.js";
export { MqttError, MqttErrorCode } from "./errors.js";
export { ReasonCode } from "./reason-codes.js";
