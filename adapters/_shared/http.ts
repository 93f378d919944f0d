/**
 * Runtime-neutral HTTP helpers: deciding whether a request is our WebSocket upgrade, and calling
 * the user's `fetch` so that a throwing handler becomes a 500 on every runtime alike.
 * @module
 */

/** True when the request asks to upgrade to WebSocket on `path` (query string ignored). */
export function isWebSocketUpgrade(
  path: string,
  url: string,
  upgradeHeader: string | null | undefined,
): boolean {
  if (upgradeHeader?.toLowerCase() !== "websocket") return false;
  return pathnameOf(url) === path;
}

/** Pathname of an absolute URL or of a request target such as `/ws?x=1`. */
export function pathnameOf(url: string): string {
  if (url.startsWith("/")) {
    const q = url.search(/[?#]/);
    return q < 0 ? url : url.slice(0, q);
  }
  return new URL(url).pathname;
}

/** A small plain-text response, the shape of every answer the adapters make up themselves. */
export function textResponse(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

export async function callFetch(
  handler: (req: Request) => Response | Promise<Response>,
  req: Request,
): Promise<Response> {
  try {
    return await handler(req);
  } catch {
    return textResponse(500, "Internal Server Error\n");
  }
}
