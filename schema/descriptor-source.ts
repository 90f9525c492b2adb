/**
 * What a FileDescriptorProto's source_code_info says about its text: where a
 * descriptor path stands (1-based line and column, as diagnostics give
 * them), the source order of declarations, and each declaration's comment
 * as protobufjs's parser would have attached it, so that a file from protoc
 * or buf yields the doc comments the .proto text yields.
 */
import type { FileDescriptorProto, SourceCodeInfo_Location } from "../generator/gen/google/protobuf/descriptor_pb.js";
import type { Position } from "./positions.js";

interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

interface Located {
  span: Span;
  location: SourceCodeInfo_Location;
}

/** Paths are joined with "." as map keys. */
const key = (path: readonly number[]) => path.join(".");

/** A place in the file as one sortable number. */
const place = (line: number, column: number) => line * 1e6 + column;

/** How many lines a comment's text took in the file: a line comment ends each line with "\n". */
function linesOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const breaks = text.split("\n").length - 1;
  return text.endsWith("\n") ? breaks : breaks + 1;
}

/**
 * protobufjs's text of a comment (alternate comment mode): each line without
 * its leading `*` or slashes, trimmed. protoc has taken the `//` off every
 * line of a line comment; put back on the lines after the first, it is
 * stripped exactly as protobufjs strips the lines it reads.
 */
function protobufjsText(text: string): string {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? line : "//" + line).replace(/^\s*\*?\/*/, "").trim())
    .join("\n")
    .trim();
}

/** The last index of a sorted list whose value is at most `value` (-1 if none). */
function lastAtMost(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export class SourceInfo {
  private readonly byPath = new Map<string, Located>();
  private readonly starts: Located[] = [];
  private readonly startPlaces: number[] = [];
  private readonly endPlaces: number[] = [];

  constructor(file: FileDescriptorProto) {
    const all: Located[] = [];
    for (const location of file.sourceCodeInfo?.location ?? []) {
      const s = location.span;
      if (s.length !== 3 && s.length !== 4) continue;
      // Spans are 0-based, [line, column, endColumn] on one line or [line, column, endLine, endColumn].
      const span = { line: s[0] + 1, column: s[1] + 1, endLine: (s.length === 4 ? s[2] : s[0]) + 1, endColumn: s[s.length - 1] + 1 };
      all.push({ span, location });
      // A repeated option has a location per statement under one path: the first is where it starts.
      if (!this.byPath.has(key(location.path))) this.byPath.set(key(location.path), all.at(-1)!);
    }
    // Where several start at one place (a field, its label), the one with the comments comes first.
    const commented = (l: Located) => (l.location.leadingComments !== undefined || l.location.leadingDetachedComments.length > 0 ? 0 : 1);
    this.starts = [...all].sort((a, b) => place(a.span.line, a.span.column) - place(b.span.line, b.span.column) || commented(a) - commented(b));
    this.startPlaces = this.starts.map((l) => place(l.span.line, l.span.column));
    this.endPlaces = all.map((l) => place(l.span.endLine, l.span.endColumn)).sort((a, b) => a - b);
  }

  /** Where what `path` names starts. */
  at(path: readonly number[]): Position | undefined {
    const found = this.byPath.get(key(path));
    return found && { line: found.span.line, column: found.span.column };
  }

  span(path: readonly number[]): Span | undefined {
    return this.byPath.get(key(path))?.span;
  }

  /** A sort key in source order; what has no location sorts last, in descriptor order. */
  order(path: readonly number[]): number {
    const span = this.span(path);
    return span ? place(span.line, span.column) : Number.MAX_SAFE_INTEGER;
  }

  /**
   * The comment protobufjs gives a declaration with a body (message, enum,
   * service, oneof, rpc with options): the comment ending on the line just
   * above the token it has read last (`token`, the name), none other.
   */
  blockComment(path: readonly number[], token: readonly number[]): string | null {
    const own = this.byPath.get(key(path));
    const at = this.span(token) ?? own?.span;
    if (!own || !at || own.span.line !== at.line) return null;
    const leading = this.leading(own);
    return leading === undefined ? null : protobufjsText(leading);
  }

  /**
   * The comment protobufjs gives a declaration ending in `;` (a field, an rpc
   * without options): the leading one as for a body (read at `leadingToken`,
   * the field number, the `rpc`), else a comment after it on the line of
   * `trailingToken` (the field number, the rpc's output type).
   */
  lineComment(path: readonly number[], leadingToken: readonly number[], trailingToken = leadingToken): string | null {
    const leading = this.blockComment(path, leadingToken);
    if (leading !== null) return leading;
    const own = this.byPath.get(key(path));
    const at = this.span(trailingToken) ?? own?.span;
    if (!own || !at || own.span.endLine !== at.line) return null;
    const trailing = this.sameLineTrailing(own);
    return trailing === undefined ? null : protobufjsText(trailing);
  }

  /** A leading comment that stands on the lines above, not after the token before (buf puts `a; /* x *\/` there). */
  private leading(own: Located): string | undefined {
    const text = own.location.leadingComments;
    if (text === undefined) return undefined;
    const before = lastAtMost(this.endPlaces, place(own.span.line, own.span.column));
    const previousLine = before < 0 ? 0 : Math.floor(this.endPlaces[before] / 1e6);
    return own.span.line - linesOf(text) > previousLine ? text : undefined;
  }

  /**
   * The comment after a declaration on the line it ends on. protoc takes as
   * trailing comment one on that line, or one on the lines below followed by
   * a blank line or the closing brace; protobufjs only the first. Source info
   * keeps no comment's place: a comment of one line ending in no newline was
   * the first kind; otherwise the second needs room for itself and a blank
   * line besides the comments the next declaration carries, and is taken
   * when there is. buf gives a `/* … *\/` after the `;` to the next
   * declaration as its leading comment.
   */
  private sameLineTrailing(own: Located): string | undefined {
    const end = place(own.span.endLine, own.span.endColumn);
    const n = lastAtMost(this.startPlaces, end - 1) + 1;
    const next = this.starts[n];
    const closeAt = lastAtMost(this.endPlaces, end) + 1;
    const close = closeAt < this.endPlaces.length ? this.endPlaces[closeAt] : undefined;
    const closing = next === undefined || (close !== undefined && close < this.startPlaces[n]);
    const nextLine = closing ? (close === undefined ? Infinity : Math.floor(close / 1e6)) : next.span.line;
    const nextLeading = closing ? undefined : next.location.leadingComments;
    if (nextLeading !== undefined && next.span.line - linesOf(nextLeading) <= own.span.endLine) return nextLeading;
    const trailing = own.location.trailingComments;
    if (trailing === undefined || !trailing.includes("\n")) return trailing;
    const carried = closing ? 0 : next.location.leadingDetachedComments.reduce((sum, c) => sum + linesOf(c) + 1, 0) + linesOf(nextLeading);
    if (nextLine === Infinity) return trailing; // nothing to judge by: the usual place
    const room = nextLine - own.span.endLine - 1;
    return room < linesOf(trailing) + (closing ? 0 : 1) + carried ? trailing : undefined;
  }
}
