/**
 * The whole sample app in one process: the leader (h2c on 127.0.0.1, for
 * hosts only) and the board host browsers use (HTTPS/HTTP/2), which follows
 * the leader over a host link and serves the bundled page. `npm start` runs
 * it (generated-sample/start.ts); tests start it the same way.
 */
import { stop as stopEsbuild } from "esbuild";
import type { Event } from "../gen/board/v1/board_pb.js";
import { type BoardHostServer, startBoardHost } from "./board-host.js";
import { bundleApp } from "./bundle.js";
import { devCertificate } from "./dev-cert.js";
import { type BoardLeaderHost, startLeader } from "./leader.js";
import { staticFiles } from "./static-files.js";

export interface AppOptions {
  /** The board host's port; 0 picks a free one. */
  port: number;
  /** Where the board host listens. Default 127.0.0.1. */
  hostname?: string;
  /** Where the development certificate is kept. */
  certDir: string;
  log?: (line: string) => void;
}

export interface App {
  /** The page: `https://localhost:PORT/`. */
  readonly url: string;
  readonly leader: BoardLeaderHost;
  readonly boardHost: BoardHostServer;
  close(): Promise<void>;
}

function describe(event: Event): string {
  const change = event.change;
  const who = change?.author?.displayName ?? "someone";
  const kind = change?.kind;
  switch (kind?.case) {
    case "added":
      return `${who} added "${kind.value.title}"`;
    case "moved":
      return `${who} moved ${kind.value.cardId}`;
    case "edited":
      return `${who} edited ${kind.value.card?.id}`;
    case "removedCardId":
      return `${who} removed ${kind.value}`;
    default:
      return `${who} changed something`;
  }
}

export async function startApp(options: AppOptions): Promise<App> {
  const log = options.log ?? (() => undefined);
  const bundle = await bundleApp();
  await stopEsbuild(); // its service process would keep Node running after Ctrl-C
  const tls = devCertificate(options.certDir);
  if (tls.made) log(`made a self-signed certificate for localhost in ${options.certDir}`);
  const leader = await startLeader({ onEvent: (event) => log(`leader: revision ${event.revision}: ${describe(event)}`) });
  let boardHost: BoardHostServer;
  try {
    boardHost = await startBoardHost({
      leaderUrl: leader.url,
      tls,
      port: options.port,
      hostname: options.hostname,
      fallback: staticFiles(bundle),
      onFollowRetry: (error, delayMs) => log(`board host: following the leader failed (${error.message}); again in ${delayMs} ms`),
    });
  } catch (error) {
    await leader.close();
    throw error;
  }
  log(`leader on ${leader.url} (host links only); board host on ${boardHost.host.url}, following it`);
  return {
    url: `https://localhost:${boardHost.host.port}/`,
    leader,
    boardHost,
    async close() {
      await boardHost.close();
      await leader.close();
    },
  };
}
