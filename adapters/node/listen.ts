/**
 * Promise wrappers for `node:net` servers (the HTTP server is one too).
 * @module
 */
import type { AddressInfo, Server } from "node:net";

/** Listens and resolves with the bound port; rejects (e.g. EADDRINUSE) instead of throwing later. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen({ port, host }, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening at once; resolves when the server's last connection has ended. */
export function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
