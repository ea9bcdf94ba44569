/** The Presence layer's public API: the replicated presence state, the tracker and the Presence API for channels. */
export { clockOf, compareClocks, dominates, lacking, mergeClocks, nonDominated } from "./clock.js";
export type { ClockOrder, VersionVector } from "./clock.js";
export { dotRef } from "./entry.js";
export type { Dot, PresenceEntry, PresenceMeta } from "./entry.js";
export { PresenceError, PresenceErrorCode } from "./errors.js";
export { DEFAULT_MAX_DELTA_SIZES } from "./generations.js";
export { isReplicaId, parseReplicaId, replicaId } from "./replica.js";
export type { ReplicaId, ReplicaName } from "./replica.js";
export { PresenceCrdt } from "./state.js";
export type {
  ExtractOptions,
  PresenceChanges,
  PresenceCrdtOptions,
  PresenceUpdate,
  ReplicaInfo,
  ReplicaKnowledge,
  ReplicaStatus,
} from "./state.js";
export { PRESENCE_WIRE_VERSION } from "./wire.js";
export type { PresenceWire, WireEntry, WirePart } from "./wire.js";
export { Presence, PresenceEvent } from "./presence.js";
export type { PresenceOptions, PresenceOwner } from "./presence.js";
export { Tracker } from "./tracker.js";
export type { ChangesListener, TopicChanges } from "./tracker.js";
export type { TrackerOptions } from "./tracker-options.js";
export type { FetchPresences, PresenceDiff, PresenceGroup, PresenceMetaPayload, Presences } from "./payload.js";
