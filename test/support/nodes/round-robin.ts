/**
 * A load balancer without sticky sessions, for tests: each HTTP request goes to the next backend in
 * turn, so consecutive LongPoll requests of one client land on different nodes. Counts what each
 * backend served.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export class RoundRobin {
  readonly #server: Server;
  readonly #backends: URL[];
  /** Requests forwarded to each backend, by index. */
  readonly served: number[];
  #next = 0;

  private constructor(server: Server, backends: URL[]) {
    this.#server = server;
    this.#backends = backends;
    this.served = backends.map(() => 0);
  }

  /** Listens on a free port of 127.0.0.1, in front of `backends` (base URLs such as `http://127.0.0.1:4001`). */
  static async start(backends: readonly string[]): Promise<RoundRobin> {
    let balancer: RoundRobin | null = null;
    const server = createServer((req, res) => {
      const self = balancer!;
      const index = self.#next++ % self.#backends.length;
      self.served[index]!++;
      const target = self.#backends[index]!;
      const forwarded = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forwarded.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(forwarded);
    });
    balancer = new RoundRobin(server, backends.map((b) => new URL(b)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
