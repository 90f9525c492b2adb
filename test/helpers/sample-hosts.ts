/**
 * The sample app's hosts for Node tests: a leader and board hosts that
 * follow it over host links, on 127.0.0.1 port 0, closed at test end.
 */
import type { ExecutionContext } from "ava";
import { type BoardHostServer, startBoardHost } from "../../generated-sample/app/board-host.js";
import { type BoardLeaderHost, startLeader } from "../../generated-sample/app/leader.js";
import type { Card, Change } from "../../generated-sample/gen/board/v1/board_pb.js";
import { Lane } from "../../generated-sample/gen/board/v1/board_pb.js";
import { selfSigned } from "./tls.js";

export interface SampleHosts {
  leader: BoardLeaderHost;
  boardHosts: BoardHostServer[];
}

export async function startSampleHosts(t: ExecutionContext, boardHosts = 1): Promise<SampleHosts> {
  const leader = await startLeader();
  t.teardown(() => leader.close());
  const hosts: BoardHostServer[] = [];
  for (let i = 0; i < boardHosts; i++) {
    const host = await startBoardHost({ leaderUrl: leader.url, tls: selfSigned() });
    t.teardown(() => host.close());
    hosts.push(host);
  }
  return { leader, boardHosts: hosts };
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
