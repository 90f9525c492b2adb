/**
 * The worker's read and write services, for `serveWorker`: BoardReader
 * answers from the worker's live board, BoardWriter sends changes up the
 * worker's one Edit call and answers once the reader has the change too, so
 * a window that got its acknowledgement finds the change on its board.
 * Kept apart from worker.ts (the browser entry) so Node tests serve the same.
 */
import { Channel, Code, type ConnectionStateSource, StreampathError } from "streampath/runtime/core";
import type { WorkerService } from "streampath/runtime/guest";
import type { Author, ChangeAck } from "../gen/board/v1/board_pb.js";
import { type BoardReaderClient, defineBoardReader, defineBoardWriter } from "../gen/board/v1/worker_guest.js";
import { BOARD_ID } from "./board-state.js";
import { EditSession } from "./edit-session.js";
import { LiveBoard, type LiveStatus } from "./live-board.js";

/** A quiet Updates stream gets a heartbeat this often. */
const HEARTBEAT_MS = 15_000;
/** How long an acknowledgement waits for the reader to have its revision. */
const READ_YOUR_WRITE_MS = 2000;
/** Acknowledgements SubmitAll keeps in flight ahead of its caller. */
const SUBMIT_ALL_AHEAD = 64;

export interface BoardWorker {
  services: WorkerService[];
  /** Set once serveWorker built the services. */
  live?: LiveBoard;
  edits?: EditSession;
  close(): void;
}

export interface BoardWorkerOptions {
  /** Who this tab is (presence, and the author of its changes when they name none). */
  me?: Author;
  onStatus?: (status: LiveStatus, error?: StreampathError) => void;
  /** The gateway's connection state: lost calls are started again once it is live. */
  connection?: ConnectionStateSource;
}

function checkBoardId(boardId: string): void {
  if (boardId !== BOARD_ID) throw new StreampathError(Code.NotFound, `no board ${JSON.stringify(boardId)} (this worker follows ${BOARD_ID})`);
}

/** Waits until the reader has `revision` (an event or snapshot at or past it), at most READ_YOUR_WRITE_MS. */
async function readerReached(reader: BoardReaderClient, revision: bigint, signal: AbortSignal): Promise<void> {
  const stop = AbortSignal.any([signal, AbortSignal.timeout(READ_YOUR_WRITE_MS)]);
  try {
    for await (const { update } of reader.updates({ boardId: BOARD_ID, afterRevision: revision - 1n }, { signal: stop })) {
      const reached = update.case === "snapshot" ? update.value.revision : update.case === "event" ? update.value.revision : -1n;
      if (reached >= revision) return;
    }
  } catch (error) {
    // Late is fine (the change shows when it arrives); only the caller's own cancel is the caller's.
    if (signal.aborted) throw error;
  }
}

export function boardWorker(options: BoardWorkerOptions = {}): BoardWorker {
  const worker: BoardWorker = {
    services: [],
    close() {
      worker.live?.close();
      worker.edits?.close();
    },
  };
  worker.services.push(
    defineBoardReader(({ boardHost }) => {
      const live = (worker.live = new LiveBoard(boardHost, { me: options.me, onStatus: options.onStatus, connection: options.connection }));
      return {
        async current(request, ctx) {
          checkBoardId(request.boardId);
          await live.whenReady(ctx.signal);
          return live.feed.snapshot();
        },
        async *updates(request, ctx) {
          checkBoardId(request.boardId);
          await live.whenReady(ctx.signal);
          yield* live.feed.updates(request.afterRevision, ctx.signal, HEARTBEAT_MS);
        },
      };
    }),
    defineBoardWriter(({ boardHost, boardReader }) => {
      // A tab keeps its edits until they are answered, however long the host is away: they show as pending.
      const edits = (worker.edits = new EditSession(boardHost, { attempts: Infinity, connection: options.connection }));
      const submit = async (change: Parameters<EditSession["submit"]>[0], signal: AbortSignal): Promise<ChangeAck> => {
        const ack = await edits.submit({ ...change, author: change.author ?? options.me }, signal);
        if (!ack.rejectedReason) await readerReached(boardReader, ack.revision, signal);
        return ack;
      };
      return {
        submit: (change, ctx) => submit(change, ctx.signal),
        async *submitAll(changes, ctx) {
          // Changes are pulled and sent ahead of their answers (up to SUBMIT_ALL_AHEAD); answers come in order.
          const answers = new Channel<Promise<ChangeAck>>(SUBMIT_ALL_AHEAD);
          void (async () => {
            try {
              for await (const change of changes) {
                const answer = submit(change, ctx.signal);
                answer.catch(() => undefined); // read in order below
                await answers.send(answer);
              }
              answers.close();
            } catch (error) {
              answers.fail(error);
            }
          })();
          try {
            for await (const answer of answers) yield await answer;
          } finally {
            answers.cancel();
          }
        },
      };
    }),
  );
  return worker;
}
