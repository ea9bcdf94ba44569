/**
 * Turns a connection's byte stream into MQTT packets with `mqtt-packet`'s parser, refusing a packet larger
 * than the limit as soon as its fixed header says so (before its body is buffered), and turning parse
 * failures into typed errors. The acknowledgements a fanout brings back by the thousand (PUBACK, PUBREC,
 * PUBCOMP without properties) and PINGREQ are read here directly, without the general parser.
 */
import mqttPacket, { type Packet } from "mqtt-packet";
import { MqttError, MqttErrorCode } from "./errors.js";
import { ReasonCode } from "./reason-codes.js";
import { bytesRead, checkPacket, strictStrings } from "./packet-checks.js";

/** First bytes of the packets read without the parser (flags must be 0). */
const PUBACK = 0x40;
const PUBREC = 0x50;
const PUBCOMP = 0x70;
const PINGREQ = 0xc0;
const PINGREQ_PACKET: Packet = Object.freeze({ cmd: "pingreq" }) as Packet;

/** Parses packets from the bytes of one connection. */
export class PacketReader {
  readonly #parser: ReturnType<typeof mqttPacket.parser>;
  readonly #maxPacketBytes: number;
  #failed: MqttError | null = null;
  #version: 3 | 4 | 5 = 4;
  /** Bytes of the current packet's body still to come. */
  #remaining = 0;
  /** Fixed-header bytes seen of the current packet (1 type byte + up to 4 length bytes); 0 between packets. */
  #headerBytes = 0;
  #first = 0;
  #length = 0;
  #multiplier = 1;
  readonly #onPacket: (packet: Packet) => void;
  readonly #onError: (error: MqttError) => void;

  constructor(maxPacketBytes: number, onPacket: (packet: Packet) => void, onError: (error: MqttError) => void) {
    this.#maxPacketBytes = maxPacketBytes;
    this.#onPacket = onPacket;
    this.#onError = onError;
    this.#parser = mqttPacket.parser({ protocolVersion: 4 });
    strictStrings(this.#parser);
    this.#parser.on("packet", (packet: Packet) => {
      if (this.#failed !== null) return;
      const problem = checkPacket(packet, bytesRead(this.#parser));
      if (problem !== null) {
        this.#fail(problem);
        return;
      }
      // Later packets of an MQTT 5 connection carry properties: parse them as such from here on.
      if (packet.cmd === "connect" && packet.protocolVersion === 5) this.protocolVersion = 5;
      this.#onPacket(packet);
    });
    this.#parser.on("error", (err: Error) => {
      this.#fail(new MqttError(MqttErrorCode.MALFORMED_PACKET, `Malformed packet: ${err.message}.`, { reasonCode: ReasonCode.MALFORMED_PACKET, cause: err }));
    });
  }

  /** The protocol level the parser reads properties for (5 after an MQTT 5 CONNECT). */
  set protocolVersion(version: 3 | 4 | 5) {
    this.#version = version;
    (this.#parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = version;
  }

  /**
   * Feeds bytes; packets and errors are reported through the callbacks, synchronously and in order.
   * Walks the fixed headers of the packets in `chunk`: checks each size, reads the small acknowledgements
   * that lie whole in the chunk itself, and hands every other byte to the parser.
   */
  feed(chunk: Uint8Array): void {
    if (this.#failed !== null) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const n = bytes.length;
    let i = 0;
    /** Where the bytes not yet given to the parser start. */
    let from = 0;
    /** Where the current packet's fixed header started in this chunk (-1: in an earlier chunk). */
    let start = -1;
    while (i < n) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, n - i);
        this.#remaining -= take;
        i += take;
        continue;
      }
      const byte = bytes[i++]!;
      if (this.#headerBytes === 0) {
        start = i - 1;
        this.#headerBytes = 1;
        this.#first = byte;
        this.#length = 0;
        this.#multiplier = 1;
        continue;
      }
      this.#headerBytes++;
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      if ((byte & 0x80) !== 0) {
        if (this.#headerBytes > 4) {
          this.#fail(new MqttError(MqttErrorCode.MALFORMED_PACKET, "Malformed packet: the remaining length takes more than 4 bytes.", { reasonCode: ReasonCode.MALFORMED_PACKET }));
          return;
        }
        continue;
      }
      const length = this.#length;
      const total = this.#headerBytes + length;
      this.#headerBytes = 0;
      if (total > this.#maxPacketBytes) {
        this.#fail(
          new MqttError(MqttErrorCode.PACKET_TOO_LARGE, `A packet of ${total} bytes is larger than maxPacketBytes (${this.#maxPacketBytes}).`, {
            reasonCode: ReasonCode.PACKET_TOO_LARGE,
          }),
        );
        return;
      }
      const fast = start !== -1 && i + length <= n ? this.#fastPacket(bytes, i, length) : null;
      if (fast === null) {
        this.#remaining = length;
        continue;
      }
      // Everything before this packet is whole packets (or the end of one begun earlier): parse it first.
      if (start > from) this.#parse(bytes.subarray(from, start));
      if (this.#failed !== null) return;
      this.#onPacket(fast);
      i += length;
      from = i;
    }
    if (from < n) this.#parse(from === 0 ? bytes : bytes.subarray(from));
  }

  /** The packet at `at` (body of `length` bytes) when it is one read here, else null. */
  #fastPacket(bytes: Buffer, at: number, length: number): Packet | null {
    const first = this.#first;
    if (first === PINGREQ) return length === 0 ? PINGREQ_PACKET : null;
    if (first !== PUBACK && first !== PUBREC && first !== PUBCOMP) return null;
    if (length !== 2 && !(length === 3 && this.#version === 5)) return null;
    const messageId = (bytes[at]! << 8) | bytes[at + 1]!;
    const cmd = first === PUBACK ? "puback" : first === PUBREC ? "pubrec" : "pubcomp";
    return (length === 3 ? { cmd, messageId, reasonCode: bytes[at + 2]! } : { cmd, messageId }) as Packet;
  }

  #parse(bytes: Buffer): void {
    if (this.#failed === null) this.#parser.parse(bytes);
  }

  #fail(error: MqttError): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#onError(error);
  }
}
