/**
 * The process behind one MQTT connection: reads packets in order, keeps the connection's protocol state
 * (protocol level, keep-alive, topic aliases, the client's limits), attaches the client's session, and
 * writes what the session and the channel bridge send. Packet handling lives in handlers/; this module
 * owns the connection's life: its timers, its output, and how it ends.
 */
import mqttPacket, { type Packet, type QoS } from "mqtt-packet";
import { isExitMessage, isCleanExit } from "../runtime/process/exit-reason.js";
import type { Pid } from "../runtime/process/pid.js";
import { Process } from "../runtime/process/process.js";
import type { TimerHandle } from "../runtime/clock/clock.js";
import type { ConnectionInfo } from "../server/endpoint/connection-info.js";
import type { ClientErrorContext } from "../server/endpoint/endpoint-context.js";
import type { ChannelBridge, BridgeOwner } from "./bridge/channel-bridge.js";
import type { BridgeFrame } from "./bridge/bridge-serializer.js";
import type { SessionHolder } from "./broker.js";
import type { MqttContext } from "./context.js";
import { MqttError, MqttErrorCode } from "./errors.js";
import { handleConnect } from "./handlers/connect.js";
import { handlePublish, handlePubrel, bridgedAcknowledged } from "./handlers/publish.js";
import { handleSubscribe, handleUnsubscribe, channelMessage, channelEnded, RejoinDue, rejoin } from "./handlers/subscribe.js";
import type { MqttMessage } from "./message.js";
import type { MqttClientInfo } from "./options.js";
import { PacketReader } from "./packet-reader.js";
import { encodePublish } from "./publish-encoder.js";
import { ReasonCode } from "./reason-codes.js";
import type { Session, SessionOutput } from "./session/session.js";
import type { MqttWire } from "./wire.js";
import { TelemetryEvent, telemetryChannels, type SocketConnected, type SocketDisconnected } from "../telemetry/events.js";

const CONNECTS = telemetryChannels[TelemetryEvent.SOCKET_CONNECT];
const DISCONNECTS = telemetryChannels[TelemetryEvent.SOCKET_DISCONNECT];

class WireClosed {}
const WIRE_CLOSED = new WireClosed();
const KEEP_ALIVE_CHECK = Symbol("keep-alive check");
const BUFFER_CHECK = Symbol("buffer check");
const CONNECT_TIMEOUT = Symbol("connect timeout");
const TAKEN_OVER = Symbol("taken over");
class ServerClosed {
  constructor(
    readonly reasonCode: number,
    readonly reason: string,
  ) {}
}

/** The will of a connection, as CONNECT gave it. */
export interface Will {
  readonly message: MqttMessage;
  readonly delaySec: number;
  /** MQTT 5 Message Expiry Interval of the will, counted from when it is published. */
  readonly expirySec: number | undefined;
}

/** @internal */
export class MqttConnection extends Process implements SessionOutput, SessionHolder, BridgeOwner {
  readonly ctx: MqttContext;
  readonly wire: MqttWire;
  readonly connectedAt = Date.now();
  readonly #reader: PacketReader;
  /** `new` until CONNECT, `connecting` while it is checked, `connected`, then `closing`. */
  state: "new" | "connecting" | "connected" | "closing" = "new";
  /** The protocol level: 3 or 4 (3.1 / 3.1.1) or 5. */
  version: 3 | 4 | 5 = 4;
  client: MqttClientInfo | null = null;
  session: Session | null = null;
  will: Will | null = null;
  bridge: ChannelBridge | null = null;
  /** The bridge's socket process. */
  bridgePid: Pid | null = null;
  /** The client's limits (MQTT 5 CONNECT properties). */
  receiveMaximum = 65535;
  clientMaxPacketBytes = Infinity;
  /** MQTT 5 Request Problem Information: false keeps reason strings out of acknowledgements (§3.1.2.11.7). */
  requestProblemInformation = true;
  keepAliveSec = 0;
  /** Topic aliases the client set (MQTT 5). */
  readonly aliases = new Map<number, string>();
  /** QoS 1 and 2 PUBLISHes to channel topics waiting for the channel, by ack id. */
  readonly bridgedAcks = new Map<number, { readonly packetId: number; readonly qos: QoS }>();
  ackSeq = 0;

  /** Whether a QoS 2 PUBLISH with this packet id still waits for its channel. */
  bridgedAcksHas(packetId: number): boolean {
    for (const pending of this.bridgedAcks.values()) if (pending.packetId === packetId && pending.qos === 2) return true;
    return false;
  }
  #lastSeen: number;
  #timer: TimerHandle | null = null;
  #endReason: string | null = null;
  #registered = false;
  /** Whether a check of the outbound buffer against maxBufferedBytes is due (see #write). */
  #bufferCheckDue = false;

  constructor(ctx: MqttContext, wire: MqttWire) {
    super(ctx.endpoint.runtime, { trapExits: true });
    this.ctx = ctx;
    this.wire = wire;
    this.#lastSeen = this.runtime.clock.now();
    this.#reader = new PacketReader(
      ctx.settings.maxPacketBytes,
      (packet) => {
        // Acknowledgements of what this connection sent only move its session's window: handled at once,
        // without a trip through the mailbox (a fanout brings them back by the thousand).
        if (this.state === "connected" && (packet.cmd === "puback" || packet.cmd === "pubcomp")) this.#acknowledge(packet);
        else this.runtime.send(this.pid, packet);
      },
      (error) => this.runtime.send(this.pid, error),
    );
    wire.start(
      (chunk) => {
        this.#lastSeen = this.runtime.clock.now();
        this.#reader.feed(chunk);
      },
      () => this.runtime.send(this.pid, WIRE_CLOSED),
    );
    this.#arm(ctx.settings.connectTimeoutMs, CONNECT_TIMEOUT);
    ctx.connectionOpened(this);
  }

  /** What a client error report says about this connection. */
  get errorContext(): ClientErrorContext {
    return { path: this.ctx.path, transport: this.wire.transport, address: this.wire.address, socketId: this.client?.clientId ?? null };
  }

  /** The MQTT 5 flag: whether this connection speaks properties and reason codes. */
  get v5(): boolean {
    return this.version === 5;
  }

  get bufferedBytes(): number {
    return this.wire.bufferedBytes;
  }

  /** What `endpoint.connections()` reports (plain broker connections; bridged ones are listed by their socket process). */
  info(): ConnectionInfo {
    return {
      pid: this.pid,
      path: this.ctx.path,
      transport: this.wire.transport,
      address: this.wire.address,
      socketId: this.client?.clientId ?? null,
      connectedAt: this.connectedAt,
      mailbox: this.mailboxSize,
      bufferedBytes: this.wire.bufferedBytes,
      channels: [],
    };
  }

  // ## Output

  /** Writes one packet. */
  send(packet: Packet): void {
    if (this.state === "closing" && packet.cmd !== "disconnect" && packet.cmd !== "connack") return;
    const bytes = mqttPacket.generate(packet, { protocolVersion: this.version });
    // The last packet is not held to maxBufferedBytes: the DISCONNECT of a slow client would fail it again.
    if (packet.cmd === "disconnect") this.wire.write(bytes);
    else this.#write(bytes);
  }

  /**
   * Writes bytes; past maxBufferedBytes queued, a check is due once this turn's writes have left (the TCP
   * wire holds them until then, so the count includes bytes a client reading in time takes at once).
   */
  #write(bytes: Uint8Array): void {
    this.wire.write(bytes);
    if (this.wire.bufferedBytes > this.ctx.settings.maxBufferedBytes && this.state === "connected" && !this.#bufferCheckDue) {
      this.#bufferCheckDue = true;
      setImmediate(() => this.runtime.send(this.pid, BUFFER_CHECK));
    }
  }

  /** Closes the connection of a client that reads too slowly: bytes still queued past maxBufferedBytes (0x97). */
  #bufferCheck(): void {
    this.#bufferCheckDue = false;
    if (this.wire.bufferedBytes <= this.ctx.settings.maxBufferedBytes) return;
    this.fail(
      new MqttError(MqttErrorCode.SLOW_CONSUMER, `The client read too slowly; more than ${this.ctx.settings.maxBufferedBytes} bytes were queued for it.`, {
        reasonCode: ReasonCode.QUOTA_EXCEEDED,
      }),
    );
  }

  writePublish(message: MqttMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean, subscriptionIds: readonly number[] | undefined): boolean {
    if (this.state !== "connected") return true;
    const bytes = encodePublish(this.version, message, qos, retain, packetId, dup, subscriptionIds, this.runtime.clock.now());
    if (bytes.byteLength > this.clientMaxPacketBytes) return false;
    this.#write(bytes);
    return true;
  }

  /** A PUBACK or PUBCOMP, read straight from the socket. */
  #acknowledge(packet: mqttPacket.IPubackPacket | mqttPacket.IPubcompPacket): void {
    try {
      if (packet.cmd === "puback") this.session!.puback(packet.messageId!);
      else this.session!.pubcomp(packet.messageId!);
    } catch (err) {
      this.ctx.endpoint.log("error", "an MQTT acknowledgement failed", { error: err, ...this.errorContext });
      this.runtime.send(this.pid, new ServerClosed(ReasonCode.UNSPECIFIED_ERROR, "internal_error"));
    }
  }

  /** Writes a PUBREL; a reason code other than success goes to MQTT 5 clients only. */
  writePubrel(packetId: number, reasonCode: number = ReasonCode.SUCCESS): void {
    this.send((reasonCode !== ReasonCode.SUCCESS && this.v5 ? { cmd: "pubrel", messageId: packetId, reasonCode } : { cmd: "pubrel", messageId: packetId }) as Packet);
  }

  // ## SessionHolder

  takenOver(): void {
    this.runtime.send(this.pid, TAKEN_OVER);
  }

  // ## BridgeOwner

  channelMessage(frame: BridgeFrame): void {
    channelMessage(this, frame);
  }

  acknowledged(ack: number, status: string | null, reason: string | undefined): void {
    bridgedAcknowledged(this, ack, status, reason);
  }

  channelEnded(topic: string, crashed: boolean): void {
    channelEnded(this, topic, crashed);
  }

  closedByServer(code: number, reason: string): void {
    // 1012 is a restart or drain; anything else is an administrative close (endpoint.disconnect, closeConnection).
    this.runtime.send(this.pid, new ServerClosed(code === 1012 ? ReasonCode.SERVER_SHUTTING_DOWN : ReasonCode.ADMINISTRATIVE_ACTION, reason));
  }

  // ## Closing

  /** Closes the connection after a client error: reported, DISCONNECT with its reason code (MQTT 5). */
  fail(error: MqttError): void {
    if (this.state === "closing") return;
    this.ctx.endpoint.reportClientError(error, this.errorContext);
    this.disconnect(error.reasonCode, error.code, error.message);
  }

  /** Sends DISCONNECT (MQTT 5, once connected) and closes; the will is published (not a client DISCONNECT). */
  disconnect(reasonCode: number, endReason: string, reasonString?: string): void {
    if (this.state === "closing") return;
    if (this.v5 && this.state === "connected") {
      this.send({ cmd: "disconnect", reasonCode, ...(reasonString === undefined ? {} : { properties: { reasonString: reasonString.slice(0, 200) } }) } as Packet);
    }
    this.end(endReason);
  }

  /** The endpoint closes the connection (stop, closeConnection): DISCONNECT 0x8B for a restart, else 0x98. */
  close(code: number, reason: string): void {
    this.closedByServer(code, reason);
  }

  /** Ends the connection (the process stops; the session and will are settled in onExit). */
  end(endReason: string): void {
    if (this.state === "closing") return;
    this.#endReason ??= endReason;
    this.state = "closing";
    this.wire.end();
    this.stop("normal");
  }

  /** The client sent DISCONNECT: the will is dropped unless it asked for it (0x04). */
  clientDisconnected(withWill: boolean): void {
    if (!withWill) this.will = null;
    this.end("disconnect");
  }

  // ## Mailbox

  protected handleMessage(message: unknown): void | Promise<void> {
    if (this.state === "closing") return;
    if (isPacket(message)) return this.#packet(message);
    if (message instanceof MqttError) {
      this.#protocolFailure(message);
    } else if (message === WIRE_CLOSED) {
      this.end("closed");
    } else if (message === BUFFER_CHECK) {
      this.#bufferCheck();
    } else if (message === KEEP_ALIVE_CHECK) {
      this.#keepAliveCheck();
    } else if (message === CONNECT_TIMEOUT) {
      if (this.state === "new") {
        this.ctx.endpoint.reportClientError(new MqttError(MqttErrorCode.CONNECT_TIMEOUT, `No CONNECT within ${this.ctx.settings.connectTimeoutMs} ms.`), this.errorContext);
        this.end("connect_timeout");
      }
    } else if (message === TAKEN_OVER) {
      this.disconnect(ReasonCode.SESSION_TAKEN_OVER, "taken_over");
    } else if (message instanceof ServerClosed) {
      this.disconnect(message.reasonCode, message.reason);
    } else if (message instanceof RejoinDue) {
      return rejoin(this, message.topic);
    } else if (isExitMessage(message) && message.from === this.bridgePid) {
      this.bridgePid = null;
      if (!isCleanExit(message.reason)) this.ctx.endpoint.log("error", "the channel bridge of an MQTT connection crashed", { error: message.reason, ...this.errorContext });
      this.disconnect(ReasonCode.UNSPECIFIED_ERROR, "bridge_exit");
    }
  }

  #packet(packet: Packet): void | Promise<void> {
    if (packet.cmd === "connect") {
      if (this.state !== "new") {
        this.fail(new MqttError(MqttErrorCode.PROTOCOL_ERROR, "A second CONNECT on one connection.", { reasonCode: ReasonCode.PROTOCOL_ERROR }));
        return;
      }
      this.state = "connecting";
      return handleConnect(this, packet);
    }
    if (this.state !== "connected") {
      this.ctx.endpoint.reportClientError(
        new MqttError(MqttErrorCode.PROTOCOL_ERROR, `The first packet must be CONNECT; got ${packet.cmd.toUpperCase()}.`, { reasonCode: ReasonCode.PROTOCOL_ERROR }),
        this.errorContext,
      );
      this.end("protocol_error");
      return;
    }
    const session = this.session!;
    switch (packet.cmd) {
      case "publish":
        return handlePublish(this, packet);
      case "puback":
        session.puback(packet.messageId!);
        return;
      case "pubrec": {
        const reasonCode = session.pubrec(packet.messageId!, packet.reasonCode ?? 0);
        if (reasonCode !== null) this.writePubrel(packet.messageId!, reasonCode);
        return;
      }
      case "pubcomp":
        session.pubcomp(packet.messageId!);
        return;
      case "pubrel":
        handlePubrel(this, packet);
        return;
      case "subscribe":
        return handleSubscribe(this, packet);
      case "unsubscribe":
        handleUnsubscribe(this, packet);
        return;
      case "pingreq":
        this.send({ cmd: "pingresp" });
        return;
      case "disconnect":
        this.#clientDisconnect(packet);
        return;
      default:
        this.fail(
          new MqttError(MqttErrorCode.PROTOCOL_ERROR, `A client may not send ${packet.cmd.toUpperCase()}.`, { reasonCode: ReasonCode.PROTOCOL_ERROR }),
        );
    }
  }

  #clientDisconnect(packet: mqttPacket.IDisconnectPacket): void {
    const expiry = packet.properties?.sessionExpiryInterval;
    const session = this.session!;
    if (this.v5 && expiry !== undefined) {
      if (session.expirySec === 0 && expiry !== 0) {
        this.fail(
          new MqttError(MqttErrorCode.PROTOCOL_ERROR, "DISCONNECT set a session expiry after CONNECT asked for none.", { reasonCode: ReasonCode.PROTOCOL_ERROR }),
        );
        return;
      }
      session.expirySec = Math.min(expiry === 0xffffffff ? Infinity : expiry, this.ctx.settings.maxSessionExpirySec);
    }
    this.clientDisconnected(packet.reasonCode === ReasonCode.DISCONNECT_WITH_WILL);
  }

  #protocolFailure(error: MqttError): void {
    if (this.state === "new" && /protocol version/i.test(error.message)) {
      // An unknown protocol level: MQTT 3.1.1 answers with CONNACK return code 1 (§3.1.2.2).
      this.ctx.endpoint.reportClientError(
        new MqttError(MqttErrorCode.UNSUPPORTED_PROTOCOL_VERSION, "CONNECT asked for a protocol level other than 3, 4 or 5.", {
          reasonCode: ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
          cause: error,
        }),
        this.errorContext,
      );
      this.state = "connecting";
      this.send({ cmd: "connack", returnCode: 1, sessionPresent: false } as Packet);
      this.end("unsupported_protocol_version");
      return;
    }
    this.fail(error);
  }

  // ## Keep-alive

  /** Starts the keep-alive watch: the client must send a packet within 1.5 × the keep-alive. */
  startKeepAlive(keepAliveSec: number): void {
    this.keepAliveSec = keepAliveSec;
    this.#clearTimer();
    if (keepAliveSec > 0) this.#arm(keepAliveSec * 1500, KEEP_ALIVE_CHECK);
  }

  #keepAliveCheck(): void {
    const limit = this.keepAliveSec * 1500;
    const silent = this.runtime.clock.now() - this.#lastSeen;
    if (silent < limit) {
      this.#arm(limit - silent, KEEP_ALIVE_CHECK);
      return;
    }
    this.fail(new MqttError(MqttErrorCode.KEEP_ALIVE_TIMEOUT, `No packet for ${silent} ms (keep-alive ${this.keepAliveSec} s).`, { reasonCode: ReasonCode.KEEP_ALIVE_TIMEOUT }));
  }

  #arm(ms: number, message: symbol): void {
    this.#clearTimer();
    this.#timer = this.runtime.clock.setTimeout(() => {
      this.#timer = null;
      this.runtime.send(this.pid, message);
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.runtime.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /**
   * Registers a plain broker connection with the endpoint (listed, drained, counted in telemetry as a
   * connect with transport `mqtt`/`mqtt-ws`). Bridged connections are registered by their socket process.
   */
  register(connectMs: number): void {
    if (this.#registered) return;
    this.#registered = true;
    this.ctx.endpoint.socketOpened(this);
    if (CONNECTS.hasSubscribers) CONNECTS.publish({ ...this.#telemetry(), result: "ok", durationMs: connectMs } satisfies SocketConnected);
  }

  #telemetry(): Omit<SocketConnected, "result" | "durationMs"> {
    const { endpoint } = this.ctx;
    return { source: endpoint.api, node: endpoint.pubsub.nodeName, path: this.ctx.path, transport: this.wire.transport, address: this.wire.address, socketId: this.client?.clientId ?? null };
  }

  /** The endpoint closes the connection (drain, stop, closeConnection). */
  drain(): void {
    this.runtime.send(this.pid, new ServerClosed(ReasonCode.SERVER_SHUTTING_DOWN, "drain"));
  }

  protected override onExit(): void {
    this.#clearTimer();
    if (this.state !== "closing") {
      this.state = "closing";
      this.wire.destroy();
    }
    this.bridge?.connectionClosed();
    const session = this.session;
    if (session !== null) this.ctx.broker.closeSession(session, this, this.will);
    if (this.#registered) {
      this.ctx.endpoint.socketClosed(this);
      if (DISCONNECTS.hasSubscribers) {
        DISCONNECTS.publish({ ...this.#telemetry(), durationMs: Date.now() - this.connectedAt, reason: this.#endReason ?? "closed" } satisfies SocketDisconnected);
      }
    }
    this.ctx.connectionClosed(this, this.#endReason ?? "closed");
  }
}

function isPacket(message: unknown): message is Packet {
  return typeof message === "object" && message !== null && typeof (message as { cmd?: unknown }).cmd === "string" && !(message instanceof Error);
}
