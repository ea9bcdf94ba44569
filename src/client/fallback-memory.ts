/**
 * Remembers, for the session, that WebSocket did not work and LongPoll should be used at once: the key
 * `phx:fallback:LongPoll` of `sessionStorage` (the official client's key) when there is one, else memory
 * shared by the whole process.
 */

/** The part of the Web Storage API used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The session storage key, as the official client writes it (since 1.8.4). */
export const FALLBACK_KEY = "phx:fallback:LongPoll";

/** The in-memory storage used when there is no `sessionStorage`: one per process, like one browser tab. */
const processMemory = new Map<string, string>();
const memoryStorage: StorageLike = {
  getItem: (key) => processMemory.get(key) ?? null,
  setItem: (key, value) => {
    processMemory.set(key, value);
  },
};

function defaultStorage(): StorageLike {
  const storage = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
  return storage ?? memoryStorage;
}

/** Reads and writes the remembered fallback; storage failures (quota, privacy modes) count as "not remembered". */
export class FallbackMemory {
  readonly #storage: StorageLike;

  constructor(storage: StorageLike = defaultStorage()) {
    this.#storage = storage;
  }

  /** Whether a fallback to LongPoll was remembered in this session. */
  remembered(): boolean {
    try {
      return this.#storage.getItem(FALLBACK_KEY) !== null;
    } catch {
      return false;
    }
  }

  /** Remembers the fallback for the rest of the session. */
  remember(): void {
    try {
      this.#storage.setItem(FALLBACK_KEY, "true");
    } catch {
      // Nothing to do: the next session tries WebSocket again.
    }
  }
}
