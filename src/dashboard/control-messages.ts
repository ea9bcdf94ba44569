/**
 * The dashboard's topics and the messages its processes exchange over PubSub: every node's sampler
 * publishes its snapshot on one topic and takes commands (disconnect, suspend, resume, trace) on
 * another; answers and traced frames go back to the asking channel's own reply topic. Messages from
 * other nodes arrive as `unknown` and are narrowed here before use.
 */
import type { NodeSnapshot } from "./node-snapshot.js";

/** The dashboard's reserved topics. */
export const DashboardTopic = {
  /** The topic dashboard pages join; merged views are pushed on it. */
  VIEW: "fenix:dashboard",
  /** Where every node's sampler publishes its snapshot. */
  SNAPSHOTS: "fenix:dashboard:snapshots",
  /** Where samplers take commands (sent to one node with `directBroadcast`). */
  CONTROL: "fenix:dashboard:control",
} as const;

/** Whether `topic` is one of the dashboard's (they are left out of its statistics, and refused as broadcast targets). */
export function isDashboardTopic(topic: string): boolean {
  return topic === DashboardTopic.VIEW || topic.startsWith(`${DashboardTopic.VIEW}:`);
}

/** The reply topic of one dashboard channel process. */
export function replyTopic(node: string, pidId: number): string {
  return `${DashboardTopic.VIEW}:reply:${node}:${pidId}`;
}

/** A node's snapshot, as published on {@link DashboardTopic.SNAPSHOTS}. */
export interface SnapshotMessage {
  readonly kind: "snapshot";
  readonly snapshot: NodeSnapshot;
}

/** An action on one process of the node the command is sent to. */
export interface ProcessCommand {
  readonly kind: "disconnect" | "suspend" | "resume";
  /** Matches the result to the request. */
  readonly id: number;
  readonly pid: string;
  /** The node and topic the result goes to. */
  readonly from: string;
  readonly replyTo: string;
}

/** Starts, or renews the lease of, a frame trace of one connection. */
export interface TraceCommand {
  readonly kind: "trace";
  /** Matches the result to the request; `0` for a lease renewal, which gets no result. */
  readonly id: number;
  readonly pid: string;
  readonly from: string;
  readonly replyTo: string;
  /** Names the watcher (its reply topic): one trace per watcher. */
  readonly watcher: string;
}

/** Ends a watcher's trace; with an `id` other than 0, the node confirms once it has stopped tracing. */
export interface UntraceCommand {
  readonly kind: "untrace";
  readonly watcher: string;
  readonly id: number;
  readonly from: string;
  readonly replyTo: string;
}

/** A command to a node's sampler. */
export type Command = ProcessCommand | TraceCommand | UntraceCommand;

/** The outcome of a command. */
export interface CommandResult {
  readonly kind: "result";
  readonly id: number;
  /** `null` when it succeeded, else the `FENIX_ERR_DASHBOARD_*` code. */
  readonly code: string | null;
  readonly message: string;
}

/** One traced frame. */
export interface TracedFrame {
  /** When it was traced (ms since the epoch). */
  readonly at: number;
  readonly direction: "in" | "out";
  readonly binary: boolean;
  readonly bytes: number;
  /** A text frame's first 2 KiB; `null` for binary frames. */
  readonly text: string | null;
}

/** Frames of a traced connection since the last batch. */
export interface FrameBatch {
  readonly kind: "frames";
  readonly node: string;
  readonly pid: string;
  readonly frames: readonly TracedFrame[];
  /** Frames left out since the last batch because they came faster than a watcher can be sent. */
  readonly dropped: number;
  /** The connection closed: this is the last batch. */
  readonly ended: boolean;
}

const isString = (v: unknown): v is string => typeof v === "string" && v !== "";
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The command in a message taken from {@link DashboardTopic.CONTROL}, or `null` if it is none. */
export function parseCommand(message: unknown): Command | null {
  if (!isRecord(message)) return null;
  const { kind, id, pid, from, replyTo, watcher } = message;
  if (typeof id !== "number" || !isString(from) || !isString(replyTo)) return null;
  if (kind === "untrace") return isString(watcher) ? { kind, watcher, id, from, replyTo } : null;
  if (!isString(pid)) return null;
  if (kind === "trace") return isString(watcher) ? { kind, id, pid, from, replyTo, watcher } : null;
  if (kind === "disconnect" || kind === "suspend" || kind === "resume") return { kind, id, pid, from, replyTo };
  return null;
}

/** The snapshot in a message taken from {@link DashboardTopic.SNAPSHOTS}, or `null`. */
export function parseSnapshot(message: unknown): NodeSnapshot | null {
  if (!isRecord(message) || message.kind !== "snapshot" || !isRecord(message.snapshot)) return null;
  const s = message.snapshot;
  const ok =
    isString(s.node) &&
    typeof s.at === "number" &&
    typeof s.sampleMs === "number" &&
    s.sampleMs > 0 &&
    Array.isArray(s.sockets) &&
    Array.isArray(s.topics) &&
    isRecord(s.rates) &&
    isRecord(s.mailbox) &&
    isRecord(s.buffered) &&
    isRecord(s.errors);
  return ok ? (s as unknown as NodeSnapshot) : null;
}

/** The answer in a message taken from a reply topic, or `null`. */
export function parseReply(message: unknown): CommandResult | FrameBatch | null {
  if (!isRecord(message)) return null;
  if (message.kind === "result" && typeof message.id === "number" && typeof message.message === "string") {
    return message as unknown as CommandResult;
  }
  if (message.kind === "frames" && isString(message.pid) && isString(message.node) && Array.isArray(message.frames)) {
    return message as unknown as FrameBatch;
  }
  return null;
}
