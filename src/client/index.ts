/**
 * `fenix/client`: a typed client for Fenix and Phoenix endpoints, in browsers and in Node 20. It imports
 * nothing from Node built-ins nor from the server layers; in Node it loads the `ws` package only when there
 * is no global WebSocket.
 */
export { Socket, VSN, defaultReconnectAfterMs, defaultRejoinAfterMs, serializeParams } from "./socket.js";
export type { SocketOptions, SocketParams, SocketState } from "./socket.js";
export { systemClock } from "./clock.js";
export type { ClientClock, ClientTimerHandle } from "./clock.js";
export { Channel } from "./channel.js";
export type { ChannelParams, ChannelState, JoinParamsOf, JoinReply } from "./channel.js";
export type { PushOptions } from "./push.js";
export type { RecoverReason, RecoverResult } from "./recovery.js";
export { formatPosition, parsePosition } from "../protocol/position.js";
export type { StreamPosition } from "../protocol/position.js";
export type { ClientMessage } from "./codec.js";
export { ClientError, ClientErrorCode } from "./errors.js";
export type { ClientErrorDetails } from "./errors.js";
export type {
  ClientPayload,
  EventMap,
  PushEvent,
  PushPayload,
  PushReply,
  ServerEvent,
  ServerEventPayload,
  ServerPayload,
  UntypedEvents,
} from "./events.js";
export { FALLBACK_KEY } from "./fallback-memory.js";
export type { StorageLike } from "./fallback-memory.js";
export type { ClientTransport, TransportClose, TransportFactory, TransportOptions } from "./transport.js";
export { webSocketTransport, authTokenProtocols } from "./websocket-transport.js";
export { longPollTransport } from "./longpoll-transport.js";
export { Presence, listPresences, syncDiff, syncState } from "./presence.js";
export type {
  PresenceChannel,
  PresenceDiff,
  PresenceGroup,
  PresenceJoinCallback,
  PresenceLeaveCallback,
  PresenceMetaPayload,
  PresenceSyncOptions,
  Presences,
} from "./presence.js";
