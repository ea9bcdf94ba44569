/**
 * A TCP proxy for fault tests: it forwards connections to a target until told to `pause` (a partition:
 * connections stay open but no byte passes either way, and new ones hang) or `cut` (every connection
 * reset). `resume` heals a pause; `retarget` sends new connections elsewhere.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** One proxied connection: the client's socket and the one to the target. */
interface Link {
  readonly client: Socket;
  upstream: Socket | null;
}

export class TcpProxy {
  readonly #server: Server;
  #targetPort: number;
  readonly #links = new Set<Link>();
  #paused = false;

  private constructor(server: Server, targetPort: number) {
    this.#server = server;
    this.#targetPort = targetPort;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => proxy!.#accept(client));
    proxy = new TcpProxy(server, targetPort);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Stops every byte, both ways, on every connection, and holds new connections unanswered. */
  pause(): void {
    this.#paused = true;
    for (const link of this.#links) {
      link.client.pause();
      link.upstream?.pause();
    }
  }

  /** Lets bytes flow again; held connections reach the target now. */
  resume(): void {
    this.#paused = false;
    for (const link of this.#links) {
      if (link.upstream === null) this.#connectUpstream(link);
      link.client.resume();
      link.upstream?.resume();
    }
  }

  /** Sends new connections to another port of 127.0.0.1 (a balancer moving clients to another node). */
  retarget(targetPort: number): void {
    this.#targetPort = targetPort;
  }

  /** Resets every connection (new ones are accepted as usual). */
  cut(): void {
    for (const link of this.#links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    this.#links.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const link: Link = { client, upstream: null };
    this.#links.add(link);
    client.on("error", () => {});
    client.once("close", () => {
      link.upstream?.destroy();
      this.#links.delete(link);
    });
    if (this.#paused) client.pause();
    else this.#connectUpstream(link);
  }

  #connectUpstream(link: Link): void {
    const upstream = connect({ host: "127.0.0.1", port: this.#targetPort });
    link.upstream = upstream;
    upstream.on("error", () => link.client.destroy());
    upstream.once("close", () => link.client.destroy());
    // Forward by hand (not pipe) so that pause() holds bytes in both directions at once.
    link.client.on("data", (data) => upstream.write(data));
    upstream.on("data", (data) => link.client.write(data));
  }
}
