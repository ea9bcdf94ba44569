/**
 * Callback sets of the socket and its channels: subscribing returns an unsubscribe function, and a
 * callback that throws does not break the client (its error is rethrown from a fresh task).
 */
import { nextTask } from "./clock.js";

/** A callback. */
export type Listener<A extends unknown[]> = (...args: A) => void;

/** Adds `callback` to `set`; returns a function that removes it (once registered twice, each is separate). */
export function subscribe<A extends unknown[]>(set: Set<Listener<A>>, callback: Listener<A>): () => void {
  const entry: Listener<A> = (...args) => callback(...args);
  set.add(entry);
  return () => {
    set.delete(entry);
  };
}

/** Calls every callback of `set` (a snapshot: callbacks added meanwhile wait for the next event). */
export function emit<A extends unknown[]>(set: Set<Listener<A>>, ...args: A): void {
  for (const listener of [...set]) call(listener, ...args);
}

/**
 * Calls an application callback. One that throws must not break the channel or the socket: its error is
 * rethrown from a fresh task, where it shows up as an uncaught error (as an event listener's would).
 */
export function call<A extends unknown[]>(listener: Listener<A>, ...args: A): void {
  try {
    listener(...args);
  } catch (error) {
    nextTask(() => {
      throw error;
    });
  }
}
