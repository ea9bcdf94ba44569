/**
 * Turns a connection's byte stream into MQTT packets with `mqtt-packet`'s parser, refusing a packet larger
 * than the limit as soon as its fixed header says so (before its body is buffered), and turning parse
 * failures into typed errors.
 */
import mqttPacket, { type Packet } from "mqtt-packet";
import { MqttError, MqttErrorCode } from "./errors.js";
import { ReasonCode } from "./reason-codes.js";

/** Parses packets from the bytes of one connection. */
export class PacketReader {
  readonly #parser: ReturnType<typeof mqttPacket.parser>;
  readonly #maxPacketBytes: number;
  #failed: MqttError | null = null;
  /** Bytes of the current packet still to come (its body), or -1 while reading a fixed header. */
  #remaining = -1;
  /** Fixed-header bytes seen of the current packet (1 type byte + up to 4 length bytes). */
  #headerBytes = 0;
  #length = 0;
  #multiplier = 1;
  readonly #onPacket: (packet: Packet) => void;
  readonly #onError: (error: MqttError) => void;

  constructor(maxPacketBytes: number, onPacket: (packet: Packet) => void, onError: (error: MqttError) => void) {
    this.#maxPacketBytes = maxPacketBytes;
    this.#onPacket = onPacket;
    this.#onError = onError;
    this.#parser = mqttPacket.parser({ protocolVersion: 4 });
    this.#parser.on("packet", (packet: Packet) => {
      if (this.#failed !== null) return;
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
    (this.#parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = version;
  }

  /** Feeds bytes; packets and errors are reported through the callbacks, synchronously. */
  feed(chunk: Uint8Array): void {
    if (this.#failed !== null) return;
    if (!this.#scan(chunk)) return;
    this.#parser.parse(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  /** Checks the size of every packet that starts in `chunk`; false (after failing) when one is too large. */
  #scan(chunk: Uint8Array): boolean {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, n - i);
        this.#remaining -= take;
        i += take;
        continue;
      }
      const byte = chunk[i++]!;
      if (this.#headerBytes === 0) {
        this.#headerBytes = 1;
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
          return false;
        }
        continue;
      }
      const total = this.#headerBytes + this.#length;
      if (total > this.#maxPacketBytes) {
        this.#fail(
          new MqttError(MqttErrorCode.PACKET_TOO_LARGE, `A packet of ${total} bytes is larger than maxPacketBytes (${this.#maxPacketBytes}).`, {
            reasonCode: ReasonCode.PACKET_TOO_LARGE,
          }),
        );
        return false;
      }
      this.#headerBytes = 0;
      this.#remaining = this.#length;
    }
    return true;
  }

  #fail(error: MqttError): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#onError(error);
  }
}
