/**
 * The sample app's board hosts for Node tests: equal instances on one
 * in-process broker (as `npm start` runs one, without its files), on
 * 127.0.0.1 port 0, closed at test end.
 */
import type { ExecutionContext } from "ava";
import { type BoardHostServer, startBoardHost } from "../../generated-sample/app/board-host.js";
import { type BoardStore, openMemoryStore } from "../../generated-sample/app/board-store.js";
import type { Card, Change } from "../../generated-sample/gen/board/v1/board_pb.js";
import { Lane } from "../../generated-sample/gen/board/v1/board_pb.js";
import { selfSigned } from "./tls.js";

export interface SampleHosts {
  store: BoardStore;
  boardHosts: BoardHostServer[];
}

export async function startSampleHosts(t: ExecutionContext, boardHosts = 1): Promise<SampleHosts> {
  const store = await openMemoryStore();
  t.teardown(() => store.close());
  const hosts: BoardHostServer[] = [];
  for (let i = 0; i < boardHosts; i++) {
    const host = await startBoardHost({ store, tls: selfSigned() });
    t.teardown(() => host.close());
    hosts.push(host);
  }
  return { store, boardHosts: hosts };
}

const ADA = { id: "u-ada", displayName: "Ada", color: "#3a7" };

export function newCard(id: string, title: string, lane = Lane.LANE_TODO): Card {
  return { id, title, body: "", lane, rank: 0, labels: [], revision: 0n, thumbnail: new Uint8Array(0), createdBy: ADA };
}

export function addCard(changeId: string, card: Card): Change {
  return { changeId, author: ADA, kind: { case: "added", value: card } };
}

export function moveCard(changeId: string, cardId: string, toLane: Lane): Change {
  return { changeId, author: ADA, kind: { case: "moved", value: { cardId, toLane, rank: 0 } } };
}
