/**
 * An in-process IPC channel for the cluster adapter's tests: two ports that copy each message the way
 * Node's "advanced" IPC serialization does (v8 serialize/deserialize), delivered on a later turn.
 */
import { EventEmitter } from "node:events";
import { deserialize, serialize } from "node:v8";
import type { IpcMessage, IpcPort } from "../../src/pubsub/ipc/ipc-messages.js";

/** One end of an in-process IPC channel; `closed` makes sends fail as a dead worker's would. */
export class FakePort extends EventEmitter implements IpcPort {
  peer: FakePort | null = null;
  closed = false;
  send(message: IpcMessage, callback: (error: Error | null) => void): boolean {
    if (this.closed || this.peer === null) {
      callback(new Error("channel closed"));
      return false;
    }
    const copy = serialize(message);
    const peer = this.peer;
    setImmediate(() => {
      if (!peer.closed) peer.emit("message", deserialize(copy));
    });
    callback(null);
    return true;
  }
}

/** A worker's end and the primary's end of one channel. */
export function channel(): [worker: FakePort, primary: FakePort] {
  const worker = new FakePort();
  const primary = new FakePort();
  worker.peer = primary;
  primary.peer = worker;
  return [worker, primary];
}
