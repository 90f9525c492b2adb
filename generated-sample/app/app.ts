/**
 * The whole sample app in one process (`npm start`, generated-sample/start.ts;
 * tests start it the same way): one board host, HTTPS/HTTP/2, serving the
 * bundled page, with the board's log and snapshots in the in-process broker,
 * appended to files in `dataDir`, so a restart finds the board as it was.
 * (`npm run start:cluster` runs three such hosts on NATS instead.)
 */
import { stop as stopEsbuild } from "esbuild";
import { developmentCertificate } from "streampath/runtime/host";
import type { Change, Event } from "../gen/board/v1/board_pb.js";
import { type BoardHostServer, startBoardHost } from "./board-host.js";
import { type BoardStore, openFileStore } from "./board-store.js";
import { bundleApp } from "./bundle.js";
import { staticFiles } from "./static-files.js";

export interface AppOptions {
  /** The board host's port; 0 picks a free one. */
  port: number;
  /** Where the board host listens. Default 127.0.0.1. */
  hostname?: string;
  /** Where the development certificate is kept. */
  certDir: string;
  /** Where the board is kept (the broker's files). */
  dataDir: string;
  log?: (line: string) => void;
}

export interface App {
  /** The page: `https://localhost:PORT/`. */
  readonly url: string;
  readonly boardHost: BoardHostServer;
  readonly store: BoardStore;
  /** Drains the host (calls running get a second to finish), then closes the files. */
  close(): Promise<void>;
}

/** One line about an applied change, for the console: `Ada added "Ship it"`. */
export function describeEvent(event: Event): string {
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

/** The console lines of a board host: every change applied or refused, and broker trouble. */
export function boardLog(log: (line: string) => void, prefix = "board") {
  return {
    onEvent: (event: Event) => log(`${prefix}: revision ${event.revision}: ${describeEvent(event)}`),
    onRefused: (change: Change, reason: string) => log(`${prefix}: refused ${change.changeId || "a change"}: ${reason}`),
    onProblem: (message: string) => log(`${prefix}: ${message}`),
  };
}

export async function startApp(options: AppOptions): Promise<App> {
  const log = options.log ?? (() => undefined);
  const bundle = await bundleApp();
  await stopEsbuild(); // its service process would keep Node running after Ctrl-C
  const tls = developmentCertificate({ dir: options.certDir });
  if (tls.made) log(`made a self-signed certificate for localhost in ${options.certDir}`);
  const store = await openFileStore(options.dataDir);
  let boardHost: BoardHostServer;
  try {
    boardHost = await startBoardHost({
      store,
      tls,
      port: options.port,
      hostname: options.hostname,
      fallback: staticFiles(bundle),
      ...boardLog(log),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const { board } = boardHost.replica.feed;
  log(`board: revision ${board.revision}, ${Object.keys(board.cards).length} cards, kept in ${options.dataDir} (log position ${boardHost.replica.position})`);
  return {
    url: `https://localhost:${boardHost.host.port}/`,
    boardHost,
    store,
    async close() {
      await boardHost.drain({ graceMs: 1000, reason: "the board app is stopping" });
      await store.close();
    },
  };
}
