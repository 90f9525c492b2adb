/**
 * The rules of the board, shared by every copy of it: each board host checks
 * and stamps every change of the board's log into an event (board-log.ts),
 * and the hosts and the workers apply the same events, so their copies agree.
 * Plain functions over the generated message objects; no I/O, no clock: the
 * host that published a change set its time, so every host decides alike.
 */
import { type Board, type Card, type Change, type Event, Lane } from "../gen/board/v1/board_pb.js";
import type { Timestamp } from "../gen/google/protobuf/timestamp_pb.js";

export const BOARD_ID = "b1";
export const BOARD_NAME = "Sample board";

/**
 * Limits of the demo board: a change past them is refused, with why.
 * `boardBytes` (the encoded cards) keeps a snapshot of the board, with its
 * recent change ids, inside one broker message (NATS: 1 MiB less headers).
 */
export const LIMITS = { cards: 1000, titleChars: 200, bodyChars: 4000, labels: 16, thumbnailBytes: 64 * 1024, boardBytes: 640 * 1024, changeIdChars: 64 };

/** A change id is the broker's dedup id too: visible ASCII, and short, as snapshots keep thousands. */
const CHANGE_ID = new RegExp(`^[\\x21-\\x7e]{1,${LIMITS.changeIdChars}}$`);

export const LANES = [Lane.LANE_TODO, Lane.LANE_DOING, Lane.LANE_DONE] as const;

export function emptyBoard(): Board {
  return { id: BOARD_ID, name: BOARD_NAME, cards: {}, revision: 0n, present: {}, historyId: undefined };
}

export function msOf(timestamp: Timestamp | undefined): number {
  return timestamp ? Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6) : 0;
}

export function timestampOf(ms: number): Timestamp {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** Fields a `CardEdit` may set, by their proto names (what a FieldMask lists). */
const EDITABLE = ["title", "body", "labels", "assignee_id", "estimate", "extra"] as const;

function cardProblem(card: Card): string | undefined {
  if (!card.title.trim()) return "a card needs a title";
  if (card.title.length > LIMITS.titleChars) return `a title has at most ${LIMITS.titleChars} characters`;
  if (card.body.length > LIMITS.bodyChars) return `a body has at most ${LIMITS.bodyChars} characters`;
  if (card.labels.length > LIMITS.labels) return `a card has at most ${LIMITS.labels} labels`;
  if (card.thumbnail.length > LIMITS.thumbnailBytes) return `a thumbnail has at most ${LIMITS.thumbnailBytes} bytes`;
  return undefined;
}

function laneProblem(lane: Lane): string | undefined {
  return (LANES as readonly Lane[]).includes(lane) ? undefined : `unknown lane ${lane}`;
}

/** Why `change` cannot be applied to `board`, or undefined when it can. */
export function rejectionOf(board: Board, change: Change): string | undefined {
  return changeIdProblem(change.changeId) ?? kindProblem(board, change);
}

/** Why `changeId` cannot name a change, or undefined. */
export function changeIdProblem(changeId: string): string | undefined {
  if (!changeId) return "a change needs a change_id";
  if (!CHANGE_ID.test(changeId)) return `a change_id is 1-${LIMITS.changeIdChars} visible ASCII characters`;
  return undefined;
}

function kindProblem(board: Board, change: Change): string | undefined {
  const kind = change.kind;
  switch (kind.case) {
    case "added": {
      const card = kind.value;
      if (!card.id) return "a new card needs an id";
      if (board.cards[card.id]) return `card ${card.id} already exists`;
      if (Object.keys(board.cards).length >= LIMITS.cards) return `the board is full (${LIMITS.cards} cards)`;
      return laneProblem(card.lane) ?? cardProblem(card);
    }
    case "edited": {
      const { card, mask } = kind.value;
      if (!card || !board.cards[card.id]) return `no card ${card?.id ?? "(none given)"} on the board`;
      const paths = mask?.paths ?? [];
      if (paths.length === 0) return "an edit needs a field mask";
      const unknown = paths.find((p) => !(EDITABLE as readonly string[]).includes(p));
      if (unknown) return `field ${unknown} cannot be edited (editable: ${EDITABLE.join(", ")})`;
      return cardProblem(edited(board.cards[card.id]!, card, paths));
    }
    case "removedCardId":
      return board.cards[kind.value] ? undefined : `no card ${kind.value} on the board`;
    case "moved":
      if (!board.cards[kind.value.cardId]) return `no card ${kind.value.cardId} on the board`;
      return laneProblem(kind.value.toLane);
    default:
      return "a change needs a kind: added, edited, removed_card_id or moved";
  }
}

/**
 * The event an accepted change becomes: the change as it will be applied
 * everywhere, with what depends on the board filled in (ranks, the
 * revision) and the time the publishing host gave it (`change.at`), so
 * watchers need no clock or judgement.
 */
export function stamp(board: Board, change: Change, revision: bigint): Event {
  const at = change.at;
  const kind = change.kind;
  let stamped: Change["kind"] = kind;
  if (kind.case === "added") {
    const card = kind.value;
    stamped = {
      case: "added",
      value: { ...card, rank: card.rank || endOfLane(board, card.lane), createdAt: at, updatedAt: at, revision },
    };
  } else if (kind.case === "moved" && !kind.value.rank) {
    stamped = { case: "moved", value: { ...kind.value, rank: endOfLane(board, kind.value.toLane, kind.value.cardId) } };
  }
  return { revision, change: { ...change, at, kind: stamped } };
}

/** Applies an accepted event to a copy of the board (it must be the next revision). */
export function applyEvent(board: Board, event: Event): void {
  if (event.revision !== board.revision + 1n) {
    throw new Error(`event ${event.revision} does not follow revision ${board.revision}`);
  }
  const id = cardIdOf(event);
  const card = cardAfter(board, event);
  board.revision = event.revision;
  if (id === undefined) return;
  if (card) board.cards[id] = card;
  else delete board.cards[id];
}

/** The id of the card `event` changes. */
export function cardIdOf(event: Event): string | undefined {
  const kind = event.change?.kind;
  switch (kind?.case) {
    case "added":
      return kind.value.id;
    case "edited":
      return kind.value.card?.id;
    case "removedCardId":
      return kind.value;
    case "moved":
      return kind.value.cardId;
    default:
      return undefined;
  }
}

/** The card as `event` leaves it (undefined: removed, or not there), without changing `board`. */
export function cardAfter(board: Board, event: Event): Card | undefined {
  const kind = event.change?.kind;
  const updatedAt = event.change?.at;
  switch (kind?.case) {
    case "added":
      return { ...kind.value, revision: event.revision };
    case "edited": {
      const { card, mask } = kind.value;
      const old = card && board.cards[card.id];
      return old && { ...edited(old, card, mask?.paths ?? []), updatedAt, revision: event.revision };
    }
    case "moved": {
      const old = board.cards[kind.value.cardId];
      return old && { ...old, lane: kind.value.toLane, rank: kind.value.rank, updatedAt, revision: event.revision };
    }
    default:
      return undefined;
  }
}

function edited(old: Card, update: Card, paths: readonly string[]): Card {
  const next = { ...old };
  for (const path of paths) {
    if (path === "title") next.title = update.title;
    else if (path === "body") next.body = update.body;
    else if (path === "labels") next.labels = update.labels;
    else if (path === "assignee_id") next.assigneeId = update.assigneeId;
    else if (path === "estimate") next.estimate = update.estimate;
    else if (path === "extra") next.extra = update.extra;
  }
  return next;
}

/** A rank after every card of `lane` (but `except`), so a new or moved card goes last. */
export function endOfLane(board: Board, lane: Lane, except?: string): number {
  let max = 0;
  for (const card of Object.values(board.cards)) if (card.lane === lane && card.id !== except && card.rank > max) max = card.rank;
  return max + 1;
}

/** The cards of one lane, in rank order. */
export function cardsOf(board: Board, lane: Lane): Card[] {
  return Object.values(board.cards)
    .filter((card) => card.lane === lane)
    .sort((a, b) => a.rank - b.rank || a.id.localeCompare(b.id));
}
