/**
 * Bridges `node:http` and the Web `Request`/`Response` that `ServeOptions.fetch` speaks. Bodies are
 * buffered: this path serves small gateway/admin requests, not streams.
 * @module
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

export async function toRequest(req: IncomingMessage, fallbackHost: string): Promise<Request> {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const host = req.headers.host ?? fallbackHost;
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(new URL(req.url ?? "/", `http://${host}`), {
    method,
    headers,
    body: hasBody ? await readBody(req) : null,
  });
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

interface BufferedResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

async function buffer(response: Response, method: string | undefined): Promise<BufferedResponse> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = new Uint8Array(await response.arrayBuffer());
  headers["content-length"] = String(body.byteLength);
  return {
    status: response.status,
    statusText: response.statusText || STATUS_CODES[response.status] || "",
    headers,
    body: method === "HEAD" ? new Uint8Array(0) : body,
  };
}

export async function writeResponse(
  res: ServerResponse,
  response: Response,
  method: string | undefined,
): Promise<void> {
  const b = await buffer(response, method);
  res.writeHead(b.status, b.statusText, b.headers);
  res.end(b.body);
}

/**
 * Answers on a socket taken over by the `upgrade` event, where no ServerResponse exists: the
 * refused WebSocket handshake (400) or an upgrade request for a path we do not serve.
 */
export async function writeRawResponse(socket: Duplex, response: Response): Promise<void> {
  const b = await buffer(response, undefined);
  let head = `HTTP/1.1 ${b.status} ${b.statusText}\r\nconnection: close\r\n`;
  for (const [name, value] of Object.entries(b.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  socket.on("error", () => {}); // the peer may reset first; nothing to report
  socket.write(head + "\r\n");
  socket.end(b.body);
  // Read to EOF so the peer's FIN lets us destroy the socket without RST-ing our response;
  // the timer covers a peer that never closes.
  socket.resume();
  socket.once("end", () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}
