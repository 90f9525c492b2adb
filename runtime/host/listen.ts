/**
 * Listening, with a failure said so that whoever starts the host knows what
 * to change: `npm start` on a busy port should name the port and the way out,
 * not print a bare EADDRINUSE stack.
 */
import type { Server } from "node:net";

export function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, port, hostname));
    server.once("error", failed);
    server.listen(port, hostname, () => {
      server.off("error", failed);
      resolve();
    });
  });
}

/** The error keeps the system's `code` (EADDRINUSE…) and has it as its `cause`. */
function listenError(error: NodeJS.ErrnoException, port: number, hostname: string): Error {
  const where = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  const hint =
    error.code === "EADDRINUSE"
      ? `port ${port} is in use: stop what listens there, or choose another port (createHost's port; 0 for any free one)`
      : error.code === "EACCES"
        ? `not allowed to listen on port ${port} (ports below 1024 need privileges): choose a port above 1023`
        : error.code === "EADDRNOTAVAIL"
          ? `${hostname} is no address of this machine (createHost's hostname)`
          : error.message;
  return Object.assign(new Error(`createHost: cannot listen on ${where}: ${hint}`, { cause: error }), { code: error.code });
}
