/**
 * The contract every runtime adapter keeps, checked over real loopback sockets with the adapter of
 * the runtime running the test (`node --test`, `bun test`, `deno test`).
 */
import assert from "node:assert/strict";
import type { RunningServer, Serve, ServeOptions } from "../../adapters/_shared/serve_options.ts";
import type { SendResult } from "../../src/platform/transport.ts";
import { concat } from "../_support/bytes.ts";
import { runtime, test } from "../_support/harness.ts";
import {
  WsClient,
  maskedBinaryFrame,
  maskedTextFrame,
  pattern,
  rawHttp,
  readBytes,
  sameBytes,
  sleep,
  tcpConnect,
  upgradeRequest,
  waitFor,
  withTimeout,
} from "./_clients.ts";
import { burstFrame, StubAcceptor } from "./_stub_acceptor.ts";

const { serve } = (await import(`../../adapters/${runtime}/serve.ts`)) as { serve: Serve };

async function withServer(
  opts: ServeOptions,
  fn: (server: RunningServer, acceptor: StubAcceptor) => Promise<void>,
): Promise<void> {
  const acceptor = new StubAcceptor();
  const server = await serve(acceptor, { port: 0, rawSocketPort: 0, ...opts });
  try {
    await fn(server, acceptor);
  } finally {
    await server.close();
  }
}

/** Bytes of an unmasked server frame carrying `data` (RFC 6455 section 5.2). */
function wireSize(data: Uint8Array | string): number {
  const n = typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength;
  return n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
}

const wsUrl = (s: RunningServer, path = "/ws"): string => `ws://127.0.0.1:${s.port}${path}`;

test(`${runtime} adapter: binds 127.0.0.1 on ephemeral ports and picks the first supported subprotocol`, () =>
  withServer({}, async (server, acceptor) => {
    assert.equal(server.host, "127.0.0.1");
    assert.ok(server.port > 0);
    assert.ok(server.rawSocketPort !== null && server.rawSocketPort > 0);
    assert.notEqual(server.rawSocketPort, server.port);

    const client = await WsClient.open(wsUrl(server), ["wamp.2.msgpack", "wamp.2.cbor", "wamp.2.json"]);
    assert.equal(client.ws.protocol, "wamp.2.cbor");
    await waitFor(() => acceptor.messages.length === 1, "acceptMessages");
    const rec = acceptor.messages[0]!;
    assert.equal(rec.protocol, "wamp.2.cbor");
    assert.equal(rec.info.kind, "websocket");
    assert.match(rec.info.remoteAddress ?? "", /127\.0\.0\.1$/);
    assert.ok((rec.info.remotePort ?? 0) > 0);
    client.ws.close();
    await client.closed;
  }));

test(`${runtime} adapter: refuses an upgrade with no supported subprotocol with HTTP 400`, () =>
  withServer({}, async (server, acceptor) => {
    const refused = await rawHttp(server.port, upgradeRequest(server.port, "/ws", "wamp.2.msgpack, x.y"));
    assert.equal(refused.status, 400);
    assert.match(refused.body, /none of the offered subprotocols is supported/);
    assert.match(refused.body, /"wamp\.2\.msgpack", "x\.y"/);

    const none = await rawHttp(server.port, upgradeRequest(server.port, "/ws", undefined));
    assert.equal(none.status, 400);

    // The WebSocket client sees the refusal as a failed connection.
    await assert.rejects(WsClient.open(wsUrl(server), ["wamp.2.msgpack"]));

    const ok = await rawHttp(server.port, upgradeRequest(server.port, "/ws", "x.y,  wamp.2.json"));
    assert.equal(ok.status, 101);
    assert.match(ok.head, /\r\nsec-websocket-protocol: wamp\.2\.json(\r\n|$)/i);
    await waitFor(() => acceptor.messages.length === 1, "acceptMessages after 101");
    assert.equal(acceptor.messages[0]!.protocol, "wamp.2.json");
  }));

test(`${runtime} adapter: keeps text and binary frames apart and round-trips 200 KB`, () =>
  withServer({}, async (server, acceptor) => {
    const client = await WsClient.open(wsUrl(server), ["wamp.2.json"]);
    client.ws.send('[1,"realm1",{}]');
    assert.equal(await client.next(), '[1,"realm1",{}]');

    client.ws.send(new Uint8Array([1, 2, 3, 250]));
    const small = await client.next();
    assert.ok(small instanceof ArrayBuffer, "binary frame comes back binary");
    assert.deepEqual(new Uint8Array(small), new Uint8Array([1, 2, 3, 250]));

    const big = pattern(200 * 1024, 7);
    client.ws.send(big);
    const echoed = await client.next();
    assert.ok(echoed instanceof ArrayBuffer);
    assert.equal(sameBytes(new Uint8Array(echoed), big), undefined);

    client.ws.send("héllo ✓");
    assert.equal(await client.next(), "héllo ✓");

    const rec = acceptor.messages[0]!;
    assert.equal(typeof rec.received[0], "string");
    for (const i of [1, 2]) {
      const got = rec.received[i];
      // Plain Uint8Array, not Buffer or ArrayBuffer: the core sees one shape on every runtime.
      assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
    }
    assert.deepEqual(rec.results, ["ok", "ok", "ok", "ok"]);
    client.ws.close();
    await client.closed;
  }));

test(`${runtime} adapter: server-side close reaches the client with code and reason`, () =>
  withServer({}, async (server, acceptor) => {
    const client = await WsClient.open(wsUrl(server), ["wamp.2.json"]);
    client.ws.send("close:4001:bye");
    const closed = await withTimeout(client.closed, "client close event");
    assert.deepEqual(closed, { code: 4001, reason: "bye" });
    const rec = acceptor.messages[0]!;
    assert.equal(rec.sendAfterClose, "closed");
    await waitFor(() => rec.closedCount === 1, "sink.closed");
    await sleep(50);
    assert.equal(rec.closedCount, 1);
  }));

test(`${runtime} adapter: a client close calls sink.closed exactly once`, () =>
  withServer({}, async (server, acceptor) => {
    const client = await WsClient.open(wsUrl(server), ["wamp.2.json"]);
    await waitFor(() => acceptor.messages.length === 1, "acceptMessages");
    client.ws.close(1000, "done");
    await client.closed;
    const rec = acceptor.messages[0]!;
    await waitFor(() => rec.closedCount === 1, "sink.closed");
    await sleep(100);
    assert.equal(rec.closedCount, 1);
  }));

test(`${runtime} adapter: an inbound message over maxMessageSize closes with 1009`, () =>
  withServer({ maxMessageSize: 1024 }, async (server, acceptor) => {
    const client = await WsClient.open(wsUrl(server), ["wamp.2.json"]);
    client.ws.send(pattern(1024, 1));
    assert.equal((await client.next() as ArrayBuffer).byteLength, 1024);
    client.ws.send(pattern(2000, 1));
    const closed = await withTimeout(client.closed, "close after oversized message");
    assert.equal(closed.code, 1009);
    const rec = acceptor.messages[0]!;
    assert.equal(rec.received.length, 1, "the oversized message never reaches the core");
    await waitFor(() => rec.closedCount === 1, "sink.closed");
  }));

test(`${runtime} adapter: WebSocket send reports backpressure to a slow reader, then drain`, () =>
  withServer({}, async (server, acceptor) => {
    // A hand-made client that completes the handshake and then does not read.
    const socket = await tcpConnect(server.port);
    socket.write(upgradeRequest(server.port, "/ws", "wamp.2.json"));
    await waitFor(() => acceptor.messages.length === 1, "acceptMessages");
    const frame = pattern(2 * 1024 * 1024, 11);
    for (let i = 0; i < 3; i++) socket.write(maskedBinaryFrame(frame));
    const rec = acceptor.messages[0]!;
    await waitFor(() => rec.results.length === 3, "three echoes sent", 10_000);
    assert.ok(rec.results.includes("backpressure"), `send results: ${rec.results.join(",")}`);
    assert.equal(rec.drains, 0);
    const reading = readBytes(socket, 3 * frame.byteLength);
    await waitFor(() => rec.drains === 1, "sink.drain", 10_000);
    await reading;
    socket.destroy();
    await waitFor(() => rec.closedCount === 1, "sink.closed");
  }), { timeout: 30_000 });

test(`${runtime} adapter: frames sent at once arrive whole and in order, before the close that follows`, () =>
  withServer({}, async (server, acceptor) => {
    const client = await WsClient.open(wsUrl(server), ["wamp.2.json"]);
    client.ws.send("burst:300:100:close");
    for (let i = 0; i < 300; i++) {
      const want = burstFrame(i, 100);
      const got = await client.next();
      if (typeof want === "string") {
        assert.equal(got, want, `frame ${i}`);
      } else {
        assert.ok(got instanceof ArrayBuffer, `frame ${i} is binary`);
        assert.equal(sameBytes(new Uint8Array(got), want), undefined, `frame ${i}`);
      }
    }
    assert.deepEqual(await withTimeout(client.closed, "close after the burst"), { code: 1000, reason: "done" });
    const rec = acceptor.messages[0]!;
    assert.deepEqual(new Set(rec.results), new Set(["ok"]));
  }));

test(`${runtime} adapter: many small frames to a slow reader report backpressure, then drain and "ok" again`, () =>
  withServer({}, async (server, acceptor) => {
    const socket = await tcpConnect(server.port);
    socket.write(upgradeRequest(server.port, "/ws", "wamp.2.json"));
    await waitFor(() => acceptor.messages.length === 1, "acceptMessages");
    const rec = acceptor.messages[0]!;
    const burst = async (count: number, bytes: number): Promise<SendResult[]> => {
      const before = rec.results.length;
      socket.write(maskedTextFrame(`burst:${count}:${bytes}`));
      await waitFor(() => rec.results.length === before + count, "a burst sent", 10_000);
      return rec.results.slice(before);
    };
    // ~11 MB in bursts of 1,000 frames of mostly 1 KiB, in separate turns, while nobody reads.
    for (let b = 0; b < 8; b++) await burst(1000, 1024);
    assert.ok(rec.results.includes("backpressure"), "a send reported backpressure");
    // Now the client reads (and counts) everything: the buffers empty, the sink hears `drain`,
    // and the next sends say "ok" again.
    let expected = 0;
    for (let i = 0; i < 1000; i++) expected += 8 * wireSize(burstFrame(i, 1024));
    // The HTTP 101 response is still unread too: it ends at the first blank line.
    let read = 0;
    let head = "";
    socket.on("data", (chunk: Uint8Array) => {
      if (head.endsWith("\r\n\r\n")) return void (read += chunk.byteLength);
      for (let i = 0; i < chunk.byteLength; i++) {
        if (head.endsWith("\r\n\r\n")) {
          read += chunk.byteLength - i;
          break;
        }
        head += String.fromCharCode(chunk[i]!);
      }
    });
    await waitFor(() => read === expected, "every frame read", 15_000);
    await waitFor(() => rec.drains >= 1, "sink.drain");
    await sleep(50);
    assert.deepEqual(await burst(10, 100), new Array(10).fill("ok"));
    socket.destroy();
    await waitFor(() => rec.closedCount === 1, "sink.closed");
  }), { timeout: 30_000 });

test(`${runtime} adapter: TCP bytes round-trip in order, including a 5 MB write`, () =>
  withServer({}, async (server, acceptor) => {
    const socket = await tcpConnect(server.rawSocketPort!);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) sent.push(pattern(1 + i * 97, i));
    sent.push(pattern(5 * 1024 * 1024, 99));
    sent.push(pattern(10, 100));
    const expected = concat(sent);
    const reading = readBytes(socket, expected.byteLength);
    for (const chunk of sent) socket.write(chunk);
    assert.equal(sameBytes(await reading, expected), undefined);

    await waitFor(() => acceptor.bytes.length === 1, "acceptBytes");
    const rec = acceptor.bytes[0]!;
    assert.equal(rec.info.kind, "rawsocket");
    assert.match(rec.info.remoteAddress ?? "", /127\.0\.0\.1$/);
    assert.equal(rec.info.remotePort, socket.localPort);
    for (const c of rec.received) assert.equal(Object.getPrototypeOf(c), Uint8Array.prototype);
    socket.end();
    await waitFor(() => rec.closedCount === 1, "sink.closed after client FIN");
    await sleep(100);
    assert.equal(rec.closedCount, 1);
  }), { timeout: 30_000 });

test(`${runtime} adapter: after the peer's FIN, bytes already written still arrive`, () =>
  withServer({}, async (server, acceptor) => {
    const socket = await tcpConnect(server.rawSocketPort!);
    const payload = pattern(3 * 1024 * 1024, 21);
    socket.write(payload);
    socket.end(); // half-close: we still read the echo
    await sleep(100); // the server's echo is now mostly queued behind a reader that has not started
    const all = await readBytes(socket);
    assert.equal(sameBytes(all, payload), undefined);
    await waitFor(() => acceptor.bytes[0]?.closedCount === 1, "sink.closed");
  }), { timeout: 30_000 });

test(`${runtime} adapter: a 5 MB server write to a slow reader buffers, reports backpressure, then drains`, () =>
  withServer({}, async (server, acceptor) => {
    const greeting = pattern(5 * 1024 * 1024, 3);
    acceptor.greeting = greeting;
    const socket = await tcpConnect(server.rawSocketPort!);
    // Not reading yet: the kernel buffers fill and the runtime takes only part of the write.
    await waitFor(() => acceptor.bytes.length === 1, "acceptBytes");
    await sleep(200);
    const rec = acceptor.bytes[0]!;
    assert.deepEqual(rec.results, ["backpressure"]);
    assert.equal(rec.drains, 0);
    const got = await readBytes(socket, greeting.byteLength);
    assert.equal(sameBytes(got, greeting), undefined);
    await waitFor(() => rec.drains === 1, "sink.drain");
    socket.destroy();
    await waitFor(() => rec.closedCount === 1, "sink.closed after reset");
  }), { timeout: 30_000 });

test(`${runtime} adapter: ByteConnection.close flushes pending bytes before FIN`, () =>
  withServer({}, async (server, acceptor) => {
    const greeting = pattern(5 * 1024 * 1024, 5);
    acceptor.greeting = greeting;
    acceptor.closeAfterGreeting = true;
    const socket = await tcpConnect(server.rawSocketPort!);
    await sleep(100);
    const all = await readBytes(socket);
    assert.equal(sameBytes(all, greeting), undefined);
    socket.destroy();
    await waitFor(() => acceptor.bytes[0]?.closedCount === 1, "sink.closed");
  }), { timeout: 30_000 });

test(`${runtime} adapter: plain HTTP requests (and upgrades elsewhere) reach opts.fetch`, async () => {
  const fetchHandler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const body = JSON.stringify({
      method: req.method,
      path: url.pathname,
      search: url.search,
      body: await req.text(),
      header: req.headers.get("x-test"),
    });
    return new Response(body, { status: 201, headers: { "content-type": "application/json", "x-handled": "yes" } });
  };
  await withServer({ fetch: fetchHandler }, async (server) => {
    const base = `http://127.0.0.1:${server.port}`;
    const post = await fetch(`${base}/api/echo?x=1`, { method: "POST", body: "abc", headers: { "x-test": "t" } });
    assert.equal(post.status, 201);
    assert.equal(post.headers.get("x-handled"), "yes");
    assert.deepEqual(await post.json(), { method: "POST", path: "/api/echo", search: "?x=1", body: "abc", header: "t" });

    // GET on the WebSocket path without an upgrade is plain HTTP too.
    const get = await fetch(`${base}/ws`);
    assert.equal(get.status, 201);
    assert.equal((await get.json()).path, "/ws");

    const elsewhere = await rawHttp(server.port, upgradeRequest(server.port, "/other", "wamp.2.json"));
    assert.equal(elsewhere.status, 201);
    assert.match(elsewhere.body, /"path":"\/other"/);
  });
});

test(`${runtime} adapter: close() ends every connection and releases both ports`, async () => {
  const acceptor = new StubAcceptor();
  const first = await serve(acceptor, { port: 0, rawSocketPort: 0 });
  const client = await WsClient.open(wsUrl(first), ["wamp.2.json"]);
  const socket = await tcpConnect(first.rawSocketPort!);
  const tcpEnded = readBytes(socket);
  await waitFor(() => acceptor.messages.length === 1 && acceptor.bytes.length === 1, "both accepted");

  await withTimeout(first.close(), "server.close()");
  const closed = await withTimeout(client.closed, "client sees server close");
  assert.equal(closed.code, 1001);
  await tcpEnded;
  assert.equal(acceptor.messages[0]!.closedCount, 1);
  assert.equal(acceptor.bytes[0]!.closedCount, 1);
  await first.close(); // idempotent

  const second = await serve(new StubAcceptor(), { port: first.port, rawSocketPort: first.rawSocketPort });
  try {
    assert.equal(second.port, first.port);
    assert.equal(second.rawSocketPort, first.rawSocketPort);
    const again = await WsClient.open(wsUrl(second), ["wamp.2.json"]);
    const notFound = await fetch(`http://127.0.0.1:${second.port}/nothing`);
    assert.equal(notFound.status, 404);
    await notFound.text();
    const tcp = await tcpConnect(second.rawSocketPort!);
    tcp.destroy();
    again.ws.close();
    await again.closed;
  } finally {
    await second.close();
  }
});

test(`${runtime} adapter: close() does not wait forever for peers that ignore the close`, async () => {
  const acceptor = new StubAcceptor();
  acceptor.greeting = pattern(4 * 1024 * 1024, 1); // stays queued: the TCP peer never reads
  const server = await serve(acceptor, { port: 0, rawSocketPort: 0 });
  // Peers that never read, never answer the WebSocket close frame, and never send FIN.
  const ws = await tcpConnect(server.port);
  ws.write(upgradeRequest(server.port, "/ws", "wamp.2.json"));
  const tcp = await tcpConnect(server.rawSocketPort!);
  await waitFor(() => acceptor.messages.length === 1 && acceptor.bytes.length === 1, "both accepted");
  const started = Date.now();
  await withTimeout(server.close(), "server.close() with stubborn peers", 8000);
  assert.ok(Date.now() - started < 8000);
  await waitFor(() => acceptor.messages[0]!.closedCount === 1, "ws sink.closed");
  await waitFor(() => acceptor.bytes[0]!.closedCount === 1, "tcp sink.closed");
  ws.destroy();
  tcp.destroy();
}, { timeout: 20_000 });

test(`${runtime} adapter: serve() rejects when a port is taken, leaving nothing bound`, async () => {
  const first = await serve(new StubAcceptor(), { port: 0, rawSocketPort: 0 });
  try {
    await assert.rejects(serve(new StubAcceptor(), { port: first.port, rawSocketPort: null }));
    // The WebSocket port binds, the RawSocket one fails: the first must be released again.
    const probe = await serve(new StubAcceptor(), { port: 0, rawSocketPort: null });
    const freePort = probe.port;
    await probe.close();
    await assert.rejects(serve(new StubAcceptor(), { port: freePort, rawSocketPort: first.rawSocketPort }));
    const again = await serve(new StubAcceptor(), { port: freePort, rawSocketPort: null });
    await again.close();
  } finally {
    await first.close();
  }
});

test(`${runtime} adapter: rawSocketPort null starts no RawSocket listener`, () =>
  withServer({ rawSocketPort: null }, async (server) => {
    assert.equal(server.rawSocketPort, null);
    const client = await WsClient.open(wsUrl(server), ["wamp.2.json"]);
    client.ws.close();
    await client.closed;
  }));
