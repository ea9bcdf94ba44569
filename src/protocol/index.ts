/**
 * The protocol layer: the messages that travel between clients and the server, the serializers that turn
 * them into WebSocket frames and back, serializer negotiation, and the errors a bad frame raises.
 */
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
} from "./contract.js";
export type { AnyPayload, Broadcast, JsonObject, JsonValue, Message, Payload, WireRef, Reply } from "./message.js";
export { isAnyPayload, isBinaryPayload, isJsonObject } from "./message.js";
export type { StreamPosition } from "./position.js";
export { formatPosition, parsePosition } from "./position.js";
export { BINARY_META_MAX_BYTES, BinaryKind, Reserved, isReservedEvent } from "./reserved.js";
export { ProtocolError, ProtocolErrorCode, UnroutableMessageError } from "./errors.js";
export type { Frame, Serializer, SerializerVsn } from "./serializer.js";
export { V1JsonSerializer } from "./v1-json.js";
export { V2JsonSerializer } from "./v2-json.js";
export type { ServerBroadcastFrame, ServerFrame, ServerPushFrame, ServerReplyFrame } from "./v2-binary.js";
export { decodeServerFrame, encodeClientPush } from "./v2-binary.js";
export { DEFAULT_SERIALIZERS, negotiateSerializer } from "./vsn.js";
