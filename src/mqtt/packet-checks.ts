/**
 * What the MQTT specifications require of a packet beyond what `mqtt-packet`'s parser checks: every byte
 * of the packet read and no more, strings that are well-formed UTF-8, non-zero packet identifiers, at
 * least one topic filter in SUBSCRIBE and UNSUBSCRIBE, each MQTT 5 property at most once, no Receive
 * Maximum or Maximum Packet Size of 0. A packet that fails is a malformed packet or a protocol error.
 */
import type { Packet } from "mqtt-packet";
import { MqttError, MqttErrorCode } from "./errors.js";
import { ReasonCode } from "./reason-codes.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The parts of `mqtt-packet`'s parser this module reads and refines (its state while it parses one packet). */
interface ParserState {
  _pos: number;
  _list: { length: number; slice(start: number, end: number): Buffer };
  packet: { length: number };
  _parseNum(): number;
  _parseString(): string | null;
}

/**
 * Makes `parser` read strings strictly: a string that is not well-formed UTF-8 (an encoded surrogate, an
 * overlong form, a cut sequence) fails the packet as malformed instead of being decoded with U+FFFD.
 */
export function strictStrings(parser: object): void {
  const p = parser as ParserState;
  p._parseString = function (this: ParserState): string | null {
    const length = this._parseNum();
    const end = length + this._pos;
    if (length === -1 || end > this._list.length || end > this.packet.length) return null;
    let text: string;
    try {
      text = strictUtf8.decode(this._list.slice(this._pos, end));
    } catch {
      return null;
    }
    this._pos = end;
    return text;
  };
}

/** How many bytes of the current packet's body the parser read. */
export function bytesRead(parser: object): number {
  return (parser as ParserState)._pos;
}

const malformed = (message: string) => new MqttError(MqttErrorCode.MALFORMED_PACKET, `Malformed packet: ${message}.`, { reasonCode: ReasonCode.MALFORMED_PACKET });
const protocolError = (message: string) => new MqttError(MqttErrorCode.PROTOCOL_ERROR, message, { reasonCode: ReasonCode.PROTOCOL_ERROR });

/** Properties that may repeat: user properties (kept as an object of arrays by the parser). */
const REPEATABLE = new Set(["userProperties"]);

function repeatedProperty(properties: object | undefined): string | undefined {
  if (properties === undefined) return undefined;
  for (const [name, value] of Object.entries(properties)) if (!REPEATABLE.has(name) && Array.isArray(value)) return name;
  return undefined;
}

/** A property the parser could not read whole (it leaves null, or a user property pair with a null half). */
function brokenProperty(properties: object | undefined): string | undefined {
  if (properties === undefined) return undefined;
  for (const [name, value] of Object.entries(properties)) {
    if (value === null || value === undefined) return name;
    if (name === "userProperties") {
      for (const v of Object.values(value as Record<string, unknown>)) {
        const values = Array.isArray(v) ? v : [v];
        if (values.some((one) => typeof one !== "string")) return name;
      }
    }
  }
  return undefined;
}

/**
 * The error a parsed packet deserves, or null when it is sound. `read` is how many body bytes the parser
 * consumed, which must be exactly the packet's remaining length.
 */
export function checkPacket(packet: Packet, read: number): MqttError | null {
  const length = (packet as { length?: number }).length ?? read;
  // A PUBLISH's payload is the rest of its body (the parser takes it without counting it); every other
  // packet's fields must fill its body exactly.
  if (packet.cmd === "publish" ? read > length : read !== length) {
    return malformed(`the ${packet.cmd.toUpperCase()} body holds ${length} bytes but its fields take ${read}`);
  }
  switch (packet.cmd) {
    case "publish":
      if (packet.qos > 0 && !(packet.messageId! >= 0)) return malformed("the QoS 1 or 2 PUBLISH ends before its packet identifier");
      if (packet.qos > 0 && packet.messageId === 0) return protocolError("A QoS 1 or 2 PUBLISH needs a non-zero packet identifier.");
      break;
    case "subscribe":
      if (!(packet.messageId! > 0)) return protocolError("SUBSCRIBE needs a non-zero packet identifier.");
      if (packet.subscriptions.length === 0) return protocolError("SUBSCRIBE needs at least one topic filter.");
      break;
    case "unsubscribe":
      if (!(packet.messageId! > 0)) return protocolError("UNSUBSCRIBE needs a non-zero packet identifier.");
      if (packet.unsubscriptions.length === 0) return protocolError("UNSUBSCRIBE needs at least one topic filter.");
      break;
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      // The parser leaves -1 when the body is too short to hold the packet identifier.
      if (!(packet.messageId! >= 0)) return malformed(`the ${packet.cmd.toUpperCase()} ends before its packet identifier`);
      if (packet.messageId === 0) return protocolError(`${packet.cmd.toUpperCase()} needs a non-zero packet identifier.`);
      break;
    case "connect": {
      const props = packet.properties;
      if (props?.receiveMaximum === 0) return protocolError("Receive Maximum 0 is a protocol error.");
      if (props?.maximumPacketSize === 0) return protocolError("Maximum Packet Size 0 is a protocol error.");
      const repeatedWill = repeatedProperty(packet.will?.properties);
      if (repeatedWill !== undefined) return protocolError(`The will property ${repeatedWill} appears more than once.`);
      break;
    }
    default:
      break;
  }
  const broken = brokenProperty((packet as { properties?: object }).properties) ?? (packet.cmd === "connect" ? brokenProperty(packet.will?.properties) : undefined);
  if (broken !== undefined) return malformed(`the property ${broken} runs past the end of the packet`);
  const repeated = repeatedProperty((packet as { properties?: object }).properties);
  if (repeated !== undefined) return protocolError(`The property ${repeated} appears more than once in ${packet.cmd.toUpperCase()}.`);
  return null;
}
