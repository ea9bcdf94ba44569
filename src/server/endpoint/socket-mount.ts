/**
 * Resolves the options of one socket mount (`endpoint.socket(path, Socket, options)`): checks every value,
 * fills in the defaults, compiles the channel routes and the origin check, and builds the mount's
 * WebSocket server and LongPoll settings. The endpoint only records the result.
 */
import { WebSocketServer } from "ws";
import { channelRouter } from "../channel/channel-route.js";
import type { SocketOptions } from "./endpoint-options.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import type { LongPollSettings } from "../longpoll/longpoll-handler.js";
import { nonNegative, positive, rateLimitOf } from "./option-checks.js";
import { compileOriginCheck, type CheckOrigin } from "./origin.js";
import { AddressConnections, DEFAULT_MAX_NAME_LENGTH } from "../socket/rate-limit.js";
import type { SocketClass } from "../socket/socket.js";
import type { WebSocketMount } from "../websocket/websocket-upgrade.js";

const MiB = 1024 * 1024;
/** The `websocket` option of a mount that serves every WebSocket request, and of one that serves none. */
export const ALWAYS = (): boolean => true;
export const NEVER = (): boolean => false;

/** What a mount inherits from its endpoint. */
export interface MountDefaults {
  readonly maxFrameBytes: number | undefined;
  readonly checkOrigin: CheckOrigin | undefined;
  readonly hosts: readonly string[] | undefined;
}

/** A resolved socket mount: its WebSocket side, and its LongPoll settings when LongPoll is on. */
export interface ResolvedMount {
  readonly mount: WebSocketMount;
  readonly longpoll: LongPollSettings | null;
}

/**
 * @internal Resolves a mount of `socketClass` at `mountPath` (already checked and without a trailing "/").
 * @throws ServerError `FENIX_ERR_SERVER_BAD_OPTION` for an option out of range or of the wrong type;
 *   `FENIX_ERR_SERVER_BAD_TOPIC_PATTERN` for a bad channel route.
 */
export function resolveMount(mountPath: string, socketClass: SocketClass, options: SocketOptions, defaults: MountDefaults): ResolvedMount {
  const websocket = options.websocket ?? true;
  if (typeof websocket !== "boolean" && typeof websocket !== "function") {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option websocket must be a boolean or a function; got ${typeof websocket}.`);
  }
  if (websocket === false && (options.longpoll === undefined || options.longpoll === false)) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `The socket at ${mountPath} has neither WebSocket nor LongPoll enabled; clients could not reach it.`);
  }
  const maxFrameBytes = positive(options.maxFrameBytes ?? defaults.maxFrameBytes ?? MiB, "maxFrameBytes");
  const maxBufferedBytes = positive(options.maxBufferedBytes ?? 8 * MiB, "maxBufferedBytes");
  const mount: WebSocketMount = {
    path: mountPath,
    socketClass,
    router: channelRouter(socketClass.channels ?? []),
    limits: {
      maxChannels: positive(options.maxChannels ?? 100, "maxChannels"),
      idleTimeoutMs: nonNegative(options.idleTimeoutMs ?? 60_000, "idleTimeoutMs"),
      maxTopicLength: positive(options.maxTopicLength ?? DEFAULT_MAX_NAME_LENGTH, "maxTopicLength"),
      maxEventLength: positive(options.maxEventLength ?? DEFAULT_MAX_NAME_LENGTH, "maxEventLength"),
      rateLimit: rateLimitOf(options.rateLimit, "rateLimit"),
      topicRateLimit: rateLimitOf(options.topicRateLimit, "topicRateLimit"),
      maxBufferedBytes,
    },
    authToken: options.authToken ?? false,
    maxBufferedBytes,
    maxFrameBytes,
    checkOrigin: compileOriginCheck(options.checkOrigin ?? defaults.checkOrigin ?? true, defaults.hosts),
    connections:
      options.maxConnectionsPerAddress === undefined
        ? null
        : new AddressConnections(positive(options.maxConnectionsPerAddress, "maxConnectionsPerAddress")),
    acceptsWebSocket: typeof websocket === "function" ? websocket : websocket ? ALWAYS : NEVER,
    wss: new WebSocketServer({
      noServer: true,
      maxPayload: maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has("phoenix") ? "phoenix" : false),
    }),
    supervisor: null,
  };
  let longpoll: LongPollSettings | null = null;
  if (options.longpoll !== undefined && options.longpoll !== false) {
    const lp = options.longpoll === true ? {} : options.longpoll;
    const settings: LongPollSettings = {
      windowMs: positive(lp.windowMs ?? 10_000, "longpoll.windowMs"),
      pubsubTimeoutMs: positive(lp.pubsubTimeoutMs ?? 2_000, "longpoll.pubsubTimeoutMs"),
      maxBufferedMessages: positive(lp.maxBufferedMessages ?? 10_000, "longpoll.maxBufferedMessages"),
      maxBufferedBytes: positive(lp.maxBufferedBytes ?? mount.maxBufferedBytes, "longpoll.maxBufferedBytes"),
      maxBodyBytes: positive(lp.maxBodyBytes ?? maxFrameBytes * 4, "longpoll.maxBodyBytes"),
      maxConcurrentPostsPerAddress: positive(lp.maxConcurrentPostsPerAddress ?? 4, "longpoll.maxConcurrentPostsPerAddress"),
      maxNewSessionsPerAddress: positive(lp.maxNewSessionsPerAddress ?? 60, "longpoll.maxNewSessionsPerAddress"),
      newSessionsWindowMs: positive(lp.newSessionsWindowMs ?? 60_000, "longpoll.newSessionsWindowMs"),
    };
    longpoll = settings;
  }
  return { mount, longpoll };
}
