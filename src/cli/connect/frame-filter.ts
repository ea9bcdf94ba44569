/**
 * A transport wrapped by a filter that sees every frame: `fenix connect` uses it to learn the refs of its
 * pushes and to speak protocol V1 through a client that speaks V2. The client's Socket cannot tell the
 * wrapped transport from the one inside.
 */
import type { ClientTransport, TransportClose, TransportFactory } from "../../client/index.js";

/** A frame as a transport sends it. */
export type OutgoingFrame = string | ArrayBuffer | Uint8Array;

/** What a filter may change; each hook is optional, and a frame mapped to undefined is dropped. */
export interface FrameFilter {
  /** Rewrites the URL of each connection attempt. */
  readonly url?: (url: string) => string;
  /** Sees (and may rewrite) each frame the client sends. */
  readonly outgoing?: (frame: OutgoingFrame) => OutgoingFrame | undefined;
  /** Sees (and may rewrite) each frame the server sends. */
  readonly incoming?: (frame: string | ArrayBuffer) => string | ArrayBuffer | undefined;
}

class FilteredTransport implements ClientTransport {
  readonly kind: ClientTransport["kind"];
  onopen: () => void = () => {};
  onmessage: (data: string | ArrayBuffer) => void = () => {};
  onclose: (event: TransportClose) => void = () => {};
  onerror: (error: unknown) => void = () => {};
  readonly #inner: ClientTransport;
  readonly #filter: FrameFilter;

  constructor(inner: ClientTransport, filter: FrameFilter) {
    this.kind = inner.kind;
    this.#inner = inner;
    this.#filter = filter;
    inner.onopen = () => this.onopen();
    inner.onclose = (event) => this.onclose(event);
    inner.onerror = (error) => this.onerror(error);
    inner.onmessage = (data) => {
      const frame = filter.incoming === undefined ? data : filter.incoming(data);
      if (frame !== undefined) this.onmessage(frame);
    };
  }

  send(data: OutgoingFrame): void {
    const frame = this.#filter.outgoing === undefined ? data : this.#filter.outgoing(data);
    if (frame !== undefined) this.#inner.send(frame);
  }

  close(code?: number, reason?: string): void {
    this.#inner.close(code, reason);
  }
}

/** Wraps `factory` so that every transport it makes goes through `filters`, the first one nearest the client. */
export function filterTransport(factory: TransportFactory, ...filters: readonly FrameFilter[]): TransportFactory {
  return filters.reduceRight<TransportFactory>(
    (inner, filter) => (options) => {
      const url = filter.url === undefined ? options.url : filter.url(options.url);
      return new FilteredTransport(inner({ ...options, url }), filter);
    },
    factory,
  );
}
