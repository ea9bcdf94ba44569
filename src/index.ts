/**
 * Fenix: real-time channels for Node.js. The package entry exports what applications use every day —
 * the Endpoint, Socket and Channel with their results and options, typed channel contracts, Presence,
 * PubSub, the processes of the runtime, tokens, telemetry — as an explicit list (docs/api.md). The rest is
 * grouped by subpath: `fenix/runtime` (the whole process runtime: clocks, names, calls), `fenix/presence`
 * (the tracker and its replicated state), `fenix/pubsub` (adapters and dispatchers), `fenix/protocol`
 * (serializers and codecs), and `fenix/client`, `fenix/redis`, `fenix/mqtt`, `fenix/metrics`,
 * `fenix/dashboard`, `fenix/testing`.
 */

// ## Errors
export { FenixError } from "./errors/fenix-error.js";

// ## Endpoint, sockets and channels
export { Endpoint } from "./server/endpoint/endpoint.js";
export type {
  ClientErrorListener,
  DrainOptions,
  EndpointOptions,
  EndpointService,
  LongPollOptions,
  RequestHandler,
  SocketMountInfo,
  SocketOptions,
  UpgradeHandler,
} from "./server/endpoint/endpoint.js";
export type { ClientErrorContext, EndpointApi } from "./server/endpoint/endpoint-context.js";
export type { ChannelInfo, ConnectionInfo } from "./server/endpoint/connection-info.js";
export { Socket } from "./server/socket/socket.js";
export type { SocketClass } from "./server/socket/socket.js";
export { ConnectRefusal, refuse } from "./server/socket/connect-refusal.js";
export type { ConnectInfo } from "./server/socket/connect-info.js";
export type { Params } from "./server/socket/query-params.js";
export { Channel } from "./server/channel/channel.js";
export type { ChannelClass } from "./server/channel/channel.js";
export type { ChannelRoute, HistoryOptions, RouteOptions, SlowConsumerPolicy } from "./server/channel/channel-route.js";
export type { HistoryItem, TopicHistory } from "./server/channel/topic-history.js";
export type { StreamPosition } from "./protocol/position.js";
export { compileTopicPattern } from "./server/channel/topic-pattern.js";
export type { TopicPattern } from "./server/channel/topic-pattern.js";
export { error, noReply, ok, reply, stop } from "./server/channel/results.js";
export type {
  HandleInResult,
  HandleResult,
  JoinError,
  JoinOk,
  JoinResult,
  NoReplyResult,
  OkReply,
  ReplyResult,
  StatusReply,
  StopResult,
} from "./server/channel/results.js";
export { SocketRef } from "./server/channel/socket-ref.js";
export type { RateLimitOptions } from "./server/socket/rate-limit.js";
export type { CheckOrigin } from "./server/endpoint/origin.js";
export { CloseCode } from "./server/socket/transport.js";
export { ServerError, ServerErrorCode } from "./server/errors.js";
export { consoleLogger, LogLevel, silentLogger } from "./server/endpoint/logger.js";
export type { Logger } from "./server/endpoint/logger.js";
export { logTelemetry } from "./server/endpoint/telemetry-logger.js";
export type { LogTelemetryOptions, TelemetryOwner } from "./server/endpoint/telemetry-logger.js";
export { startCluster } from "./server/endpoint/cluster.js";
export type { ClusterOptions, ClusterPrimary, Stoppable, WorkerContext, WorkerInfo } from "./server/endpoint/cluster.js";
export { Token } from "./server/token/token.js";
export type {
  TokenFailure,
  TokenResult,
  Tokens,
  TokenSecret,
  TokenSecrets,
  TokenSignOptions,
  TokensOptions,
  TokenVerifyOptions,
} from "./server/token/token.js";

// ## Payloads and channel contracts
export type { AnyPayload, Broadcast, JsonObject, JsonValue, Payload, WireRef } from "./protocol/message.js";
export { isAnyPayload, isBinaryPayload, isJsonObject } from "./protocol/message.js";
export { isReservedEvent } from "./protocol/reserved.js";
export { ProtocolError, ProtocolErrorCode } from "./protocol/errors.js";
export type {
  AnyPushReply,
  ChannelContract,
  JoinParams,
  JoinReply,
  PushArgs,
  PushEvent,
  PushPayload,
  PushReply,
  ServerEvent,
  ServerEventArgs,
  ServerEventPayload,
  UntypedContract,
} from "./protocol/contract.js";

// ## Presence
export { Presence } from "./presence/presence.js";
export type { PresenceOptions } from "./presence/presence.js";
export { PresenceError, PresenceErrorCode } from "./presence/errors.js";
export type { FetchPresences, PresenceDiff, PresenceGroup, PresenceMetaPayload, Presences } from "./presence/payload.js";

// ## PubSub
export { PubSub } from "./pubsub/pubsub.js";
export type { BroadcastOptions, PubSubOptions, PubSubStatus, SubscribeOptions } from "./pubsub/pubsub.js";
export { PubSubError, PubSubErrorCode } from "./pubsub/errors.js";

// ## Processes (the whole runtime is in fenix/runtime)
export { Pid, Ref } from "./runtime/process/pid.js";
export { Runtime, defaultRuntime } from "./runtime/process/runtime.js";
export type { RuntimeOptions } from "./runtime/process/runtime.js";
export { Process } from "./runtime/process/process.js";
export { GenServer } from "./runtime/gen-server/gen-server.js";
export type { Call, CallResult, ServerName, ServerPid } from "./runtime/gen-server/gen-server-types.js";
export type { GenServerOptions } from "./runtime/gen-server/gen-server-options.js";
export { CalleeExitedError, From, call } from "./runtime/gen-server/call.js";
export { AlreadyStartedError } from "./runtime/gen-server/already-started-error.js";
export { InitFailedError } from "./runtime/gen-server/init-failed-error.js";
export { Supervisor } from "./runtime/supervisor/supervisor.js";
export type { SupervisorOptions, SupervisorStrategy } from "./runtime/supervisor/supervisor.js";
export { DynamicSupervisor } from "./runtime/supervisor/dynamic-supervisor.js";
export type { DynamicSupervisorOptions } from "./runtime/supervisor/dynamic-supervisor.js";
export type { ChildSpec, RestartType } from "./runtime/supervisor/child-spec.js";
export { Registry } from "./runtime/registry/registry.js";
export type { RegistryOptions } from "./runtime/registry/registry.js";
export { Task } from "./runtime/process/task.js";
export { formatExitReason, isCleanExit, isDownMessage, isExitMessage, shutdown } from "./runtime/process/exit-reason.js";
export type { DownMessage, ExitMessage, ExitReason } from "./runtime/process/exit-reason.js";
export { realClock } from "./runtime/clock/clock.js";
export type { Clock, TimerHandle } from "./runtime/clock/clock.js";
export { VirtualClock } from "./runtime/clock/virtual-clock.js";
export { RuntimeError, RuntimeErrorCode } from "./runtime/errors.js";

// ## Telemetry
export { TelemetryEvent, onTelemetry } from "./telemetry/events.js";
export type {
  BroadcastDelivered,
  ChannelCrashed,
  ChannelRecovered,
  ChannelHandledIn,
  ChannelHandledInfo,
  ChannelJoined,
  ChannelLeft,
  ChannelTelemetry,
  ConnectionEvent,
  FrameTraced,
  LogRecorded,
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
} from "./telemetry/events.js";
