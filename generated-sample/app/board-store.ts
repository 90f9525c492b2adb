/**
 * Where the board is kept: two topics of a broker. "board" is the log of
 * every change, in order; "board-snapshots" holds the board at a few recent
 * positions, so the log may be trimmed and a host starting fresh reads only
 * what follows the newest. Each topic has its own retention, so each has its
 * own broker (a broker's limits apply to every topic it makes).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Broker, type BrokerLimits, createMemoryBroker } from "streampath/runtime/host";

export const LOG_TOPIC = "board";
export const SNAPSHOT_TOPIC = "board-snapshots";

const MiB = 1024 * 1024;

/**
 * The log's bound on NATS (on disk): far more than the sample makes, and a
 * snapshot every 1,000 changes keeps the board past it. Each host reading
 * the log from its newest snapshot reads at most those 1,000.
 */
export const NATS_LOG_LIMITS: Partial<BrokerLimits> = { maxMessages: 1_000_000, maxBytes: 256 * MiB };
/** In process the whole kept log is in memory (and in its file): bounded lower. */
export const FILE_LOG_LIMITS: Partial<BrokerLimits> = { maxMessages: 100_000, maxBytes: 32 * MiB };
/** A few snapshots (each at most about 1 MiB): one is enough, more cover a lagging host's stale one. */
export const SNAPSHOT_LIMITS: Partial<BrokerLimits> = { maxMessages: 8, maxBytes: 16 * MiB };
/** Presence is not history: a minute of it, read from now on. */
export const PRESENCE_LIMITS: Partial<BrokerLimits> = { maxMessages: 10_000, maxBytes: 4 * MiB, maxAgeMs: 60_000 };

export interface BoardStore {
  /** Holds LOG_TOPIC. */
  readonly log: Broker;
  /** Holds SNAPSHOT_TOPIC. */
  readonly snapshots: Broker;
  /** Several instances: who is here, shared (presence-relay.ts). One instance has none. */
  readonly presence?: Broker;
  /** What it is, for a log line. */
  readonly description: string;
  close(): Promise<void>;
}

function store(log: Broker, snapshots: Broker, description: string, presence?: Broker): BoardStore {
  return {
    log,
    snapshots,
    presence,
    description,
    async close() {
      await Promise.allSettled([log.close(), snapshots.close(), presence?.close()]);
    },
  };
}

/** One instance: the in-process broker, appended to files in `dir` (`npm start`). */
export async function openFileStore(dir: string): Promise<BoardStore> {
  mkdirSync(dir, { recursive: true });
  const log = await createMemoryBroker({ file: path.join(dir, "board.log"), limits: FILE_LOG_LIMITS });
  const snapshots = await createMemoryBroker({ file: path.join(dir, "board-snapshots.log"), limits: SNAPSHOT_LIMITS }).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  return store(log, snapshots, `files in ${dir}`);
}

/** Without files: a board for tests, lost with the process. */
export async function openMemoryStore(): Promise<BoardStore> {
  return store(await createMemoryBroker({ limits: FILE_LOG_LIMITS }), await createMemoryBroker({ limits: SNAPSHOT_LIMITS }), "memory");
}

/** Several instances: NATS JetStream at `servers` (loaded only here: `npm start` needs no NATS client). */
export async function openNatsStore(servers: string, name = "board"): Promise<BoardStore> {
  const { createNatsBroker } = await import("streampath/runtime/host/nats");
  const connection = { name };
  const log = await createNatsBroker({ servers, limits: NATS_LOG_LIMITS, connection });
  const snapshots = await createNatsBroker({ servers, limits: SNAPSHOT_LIMITS, connection }).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  const presence = await createNatsBroker({ servers, limits: PRESENCE_LIMITS, connection }).catch(async (error: unknown) => {
    await Promise.allSettled([log.close(), snapshots.close()]);
    throw error;
  });
  return store(log, snapshots, `NATS JetStream at ${servers}`, presence);
}
