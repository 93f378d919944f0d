/**
 * A bare WAMP-over-WebSocket JSON client over the runtime's global WebSocket: enough to drive
 * HELLO/WELCOME, ticket authentication, calls and GOODBYE against a router started as a child
 * process.
 * @module
 */

/** A bare WAMP-over-WebSocket JSON client (with ticket authentication) for CLI and binary tests. */
export class WampClient {
  readonly #ws: WebSocket;
  readonly #inbox: unknown[][] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  #requestId = 100;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (ev) => {
      this.#inbox.push(JSON.parse(String(ev.data)) as unknown[]);
      this.#wake?.();
    });
    ws.addEventListener("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Opens a `wamp.2.json` WebSocket; `track` collects clients for closing in a `finally`. */
  static open(url: string, track?: WampClient[]): Promise<WampClient> {
    const ws = new WebSocket(url, "wamp.2.json");
    return new Promise((resolve, reject) => {
      ws.addEventListener("open", () => {
        if (ws.protocol !== "wamp.2.json") return reject(new Error(`Negotiated subprotocol: "${ws.protocol}"`));
        const c = new WampClient(ws);
        track?.push(c);
        resolve(c);
      });
      ws.addEventListener("error", () => reject(new Error(`Cannot connect to ${url}`)));
    });
  }

  send(msg: unknown[]): void {
    this.#ws.send(JSON.stringify(msg));
  }

  /** HELLO with ticket, AUTHENTICATE with the password; returns WELCOME or ABORT. */
  async join(realm: string, authid: string, password: string): Promise<unknown[]> {
    this.send([1, realm, { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} }, authmethods: ["ticket"], authid }]);
    const first = await this.next();
    if (first[0] !== 4) return first;
    this.send([5, password, {}]);
    return await this.next();
  }

  async request(msg: unknown[]): Promise<unknown[]> {
    this.send(msg);
    return await this.next();
  }

  call(procedure: string, args: unknown[]): Promise<unknown[]> {
    return this.request([48, ++this.#requestId, {}, procedure, args]);
  }

  async next(ms = 30_000): Promise<unknown[]> {
    const deadline = Date.now() + ms;
    while (this.#inbox.length === 0) {
      if (this.#closed) throw new Error("The WebSocket closed with no message");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No message after ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.#inbox.shift()!;
  }

  close(): void {
    if (!this.#closed) this.#ws.close();
  }
}
