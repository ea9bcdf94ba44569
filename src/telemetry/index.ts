/**
 * The telemetry layer's public API: the event names, their payload types, and the helpers to publish
 * and subscribe; `logTelemetry` turns the events into log lines.
 */
export { TelemetryEvent, onTelemetry, publish, startTimer, telemetry, telemetryChannels } from "./events.js";
export type {
  BroadcastDelivered,
  ChannelCrashed,
  ChannelHandledIn,
  ChannelHandledInfo,
  ChannelJoined,
  ChannelLeft,
  ChannelTelemetry,
  FrameTraced,
  LogRecorded,
  ConnectionEvent,
  MessageLimited,
  OutboundDropped,
  PresenceDiffed,
  ProcessCrashed,
  PubSubErrored,
  PubSubStatusChanged,
  SlowConsumer,
  SocketConnected,
  SocketDisconnected,
  SupervisorRestarted,
  TelemetryBase,
  TelemetryEventName,
  TelemetryPayloads,
  TransportError,
} from "./events.js";
