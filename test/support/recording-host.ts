/**
 * An AdapterHost for tests of history stores: it records the frames handed to it with their positions,
 * and the errors reported, in order (plain deliveries and status changes are ignored).
 */
import type { AdapterHost } from "../../src/pubsub/adapter.js";
import type { StreamPosition } from "../../src/pubsub/history/history-store.js";

/** A host and what it recorded. */
export interface RecordingHost {
  readonly host: AdapterHost;
  readonly positioned: { frame: Uint8Array; position: StreamPosition }[];
  readonly errors: Error[];
}

/** A host for the node `nodeName` that records positioned frames and reported errors. */
export function recordingHost(nodeName: string): RecordingHost {
  const positioned: RecordingHost["positioned"] = [];
  const errors: Error[] = [];
  const host: AdapterHost = {
    nodeName,
    deliver: () => {},
    deliverPositioned: (frame, position) => positioned.push({ frame, position }),
    reportError: (error) => errors.push(error),
    reportStatus: () => {},
  };
  return { host, positioned, errors };
}
