/**
 * A document and its printer, after Wadler's "prettier printer" as prettier
 * itself implements it: groups print flat when they fit in the width left,
 * else broken. The algorithm (fits, modes, expanded states, break
 * propagation) follows prettier's doc printer so that the generator prints
 * what prettier prints, without prettier on the generate path.
 */

export type Doc = string | Doc[] | Group | Fill | Indent | Align | Line | IfBreak | IndentIfBreak | BreakParent;

/** Contents and separators alternating; each separator breaks only if the next content does not fit. */
interface Fill {
  kind: "fill";
  parts: Doc[];
  /** Parts already printed (the printer resumes a fill there). */
  offset: number;
}

interface Group {
  kind: "group";
  contents: Doc;
  break: boolean;
  id?: symbol;
  /** A conditional group: the states to try in order, the first being `contents`. */
  expandedStates?: Doc[];
}
interface Indent {
  kind: "indent";
  contents: Doc;
}
interface Align {
  kind: "align";
  spaces: number;
  contents: Doc;
}
interface Line {
  kind: "line";
  soft: boolean;
  hard: boolean;
}
interface IfBreak {
  kind: "if-break";
  breakContents: Doc;
  flatContents: Doc;
  groupId?: symbol;
}
interface IndentIfBreak {
  kind: "indent-if-break";
  contents: Doc;
  groupId: symbol;
}
interface BreakParent {
  kind: "break-parent";
}

export const line: Doc = { kind: "line", soft: false, hard: false };
export const softline: Doc = { kind: "line", soft: true, hard: false };
export const breakParent: Doc = { kind: "break-parent" };
export const hardline: Doc = [{ kind: "line", soft: false, hard: true }, breakParent];

export function group(contents: Doc, options: { shouldBreak?: boolean; id?: symbol } = {}): Doc {
  return { kind: "group", contents, break: options.shouldBreak ?? false, id: options.id };
}

export function conditionalGroup(states: Doc[]): Doc {
  return { kind: "group", contents: states[0]!, break: false, expandedStates: states };
}

export const fill = (parts: Doc[]): Doc => ({ kind: "fill", parts, offset: 0 });

export const indent = (contents: Doc): Doc => ({ kind: "indent", contents });
export const align = (spaces: number, contents: Doc): Doc => ({ kind: "align", spaces, contents });

export function ifBreak(breakContents: Doc, flatContents: Doc = "", groupId?: symbol): Doc {
  return { kind: "if-break", breakContents, flatContents, groupId };
}

export const indentIfBreak = (contents: Doc, groupId: symbol): Doc => ({ kind: "indent-if-break", contents, groupId });

export function join(separator: Doc, docs: Doc[]): Doc[] {
  const out: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) out.push(separator);
    out.push(d);
  });
  return out;
}

/** Visits a doc depth first; `enter` returning false skips the children. */
function walk(doc: Doc, enter: (d: Doc) => boolean | void, exit?: (d: Doc) => void, conditional = false): void {
  if (enter(doc) === false) {
    exit?.(doc);
    return;
  }
  if (Array.isArray(doc)) for (const d of doc) walk(d, enter, exit, conditional);
  else if (typeof doc !== "string") {
    switch (doc.kind) {
      case "group":
        if (conditional && doc.expandedStates) for (const s of doc.expandedStates) walk(s, enter, exit, conditional);
        else walk(doc.contents, enter, exit, conditional);
        break;
      case "indent":
      case "align":
      case "indent-if-break":
        walk(doc.contents, enter, exit, conditional);
        break;
      case "fill":
        for (const d of doc.parts) walk(d, enter, exit, conditional);
        break;
      case "if-break":
        walk(doc.breakContents, enter, exit, conditional);
        walk(doc.flatContents, enter, exit, conditional);
        break;
    }
  }
  exit?.(doc);
}

/** Whether the doc holds a forced break (a hard line, a broken group). */
export function willBreak(doc: Doc): boolean {
  let found = false;
  walk(doc, (d) => {
    if (found) return false;
    if (typeof d === "object" && !Array.isArray(d)) {
      if ((d.kind === "group" && d.break) || (d.kind === "line" && d.hard) || d.kind === "break-parent") found = true;
    }
  });
  return found;
}

/** Whether the doc holds any line at all. */
export function canBreak(doc: Doc): boolean {
  let found = false;
  walk(doc, (d) => {
    if (found) return false;
    if (typeof d === "object" && !Array.isArray(d) && d.kind === "line") found = true;
  });
  return found;
}

/** A group holding a hard line or a broken group breaks too (conditional groups excepted). */
function propagateBreaks(doc: Doc): void {
  const stack: Group[] = [];
  const visited = new Set<Group>();
  const breakTop = () => {
    const top = stack.at(-1);
    if (top && !top.expandedStates && !top.break) top.break = true;
  };
  walk(
    doc,
    (d) => {
      if (typeof d !== "object" || Array.isArray(d)) return;
      if (d.kind === "break-parent") breakTop();
      if (d.kind === "group") {
        stack.push(d);
        if (visited.has(d)) return false;
        visited.add(d);
      }
    },
    (d) => {
      if (typeof d === "object" && !Array.isArray(d) && d.kind === "group") {
        const g = stack.pop()!;
        if (g.break) breakTop();
      }
    },
    true,
  );
}

const BREAK = 1;
const FLAT = 2;
type Mode = typeof BREAK | typeof FLAT;
interface Command {
  indent: string;
  mode: Mode;
  doc: Doc;
}

function fits(next: Command, rest: Command[], width: number, modes: Map<symbol, Mode>, mustBeFlat: boolean): boolean {
  let restIndex = rest.length;
  const commands: { mode: Mode; doc: Doc }[] = [next];
  while (width >= 0) {
    if (commands.length === 0) {
      if (restIndex === 0) return true;
      commands.push(rest[--restIndex]!);
      continue;
    }
    const { mode, doc } = commands.pop()!;
    if (typeof doc === "string") {
      width -= doc.length;
    } else if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) commands.push({ mode, doc: doc[i]! });
    } else {
      switch (doc.kind) {
        case "indent":
        case "align":
        case "indent-if-break":
          commands.push({ mode, doc: doc.contents });
          break;
        case "fill":
          for (let i = doc.parts.length - 1; i >= doc.offset; i--) commands.push({ mode, doc: doc.parts[i]! });
          break;
        case "group": {
          if (mustBeFlat && doc.break) return false;
          const groupMode = doc.break ? BREAK : mode;
          const contents = doc.expandedStates && groupMode === BREAK ? doc.expandedStates.at(-1)! : doc.contents;
          commands.push({ mode: groupMode, doc: contents });
          break;
        }
        case "if-break": {
          const groupMode = doc.groupId ? (modes.get(doc.groupId) ?? FLAT) : mode;
          commands.push({ mode, doc: groupMode === BREAK ? doc.breakContents : doc.flatContents });
          break;
        }
        case "line":
          if (mode === BREAK || doc.hard) return true;
          if (!doc.soft) width -= 1;
          break;
      }
    }
  }
  return false;
}

/**
 * Prints a doc in `width` columns, two spaces an indent level, starting `start` columns in.
 * `hardBreaks: false` says the doc holds none (so no group needs breaking for one).
 */
export function printDoc(doc: Doc, width = 80, start = 0, hardBreaks = true): string {
  if (hardBreaks) propagateBreaks(doc);
  const modes = new Map<symbol, Mode>();
  const margin = " ".repeat(start);
  const out: string[] = [margin];
  let position = start;
  let shouldRemeasure = false;
  const commands: Command[] = [{ indent: margin, mode: BREAK, doc }];
  const trimTrailing = () => {
    for (let last = out.length - 1; last >= 0; last--) {
      const s = out[last]!;
      let end = s.length;
      while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
      if (end < s.length) out[last] = s.slice(0, end);
      if (end > 0) break;
    }
  };
  while (commands.length > 0) {
    const { indent, mode, doc } = commands.pop()!;
    if (typeof doc === "string") {
      out.push(doc);
      position += doc.length;
      continue;
    }
    if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) commands.push({ indent, mode, doc: doc[i]! });
      continue;
    }
    switch (doc.kind) {
      case "indent":
        commands.push({ indent: indent + "  ", mode, doc: doc.contents });
        break;
      case "align":
        commands.push({ indent: indent + " ".repeat(doc.spaces), mode, doc: doc.contents });
        break;
      case "group": {
        let command: Command;
        if (mode === FLAT && !shouldRemeasure) {
          command = { indent, mode: doc.break ? BREAK : FLAT, doc: doc.contents };
        } else {
          shouldRemeasure = false;
          const remaining = width - position;
          const flat: Command = { indent, mode: FLAT, doc: doc.contents };
          if (!doc.break && fits(flat, commands, remaining, modes, false)) command = flat;
          else if (!doc.expandedStates) command = { indent, mode: BREAK, doc: doc.contents };
          else {
            command = { indent, mode: BREAK, doc: doc.expandedStates.at(-1)! };
            if (!doc.break) {
              for (let i = 1; i < doc.expandedStates.length - 1; i++) {
                const state: Command = { indent, mode: FLAT, doc: doc.expandedStates[i]! };
                if (fits(state, commands, remaining, modes, false)) {
                  command = state;
                  break;
                }
              }
            }
          }
        }
        commands.push(command);
        if (doc.id) modes.set(doc.id, command.mode);
        break;
      }
      case "fill": {
        const remaining = width - position;
        const rest = doc.parts.length - doc.offset;
        if (rest === 0) break;
        const content = doc.parts[doc.offset]!;
        const flatContent: Command = { indent, mode: FLAT, doc: content };
        const breakContent: Command = { indent, mode: BREAK, doc: content };
        const contentFits = fits(flatContent, [], remaining, modes, true);
        if (rest === 1) {
          commands.push(contentFits ? flatContent : breakContent);
          break;
        }
        const whitespace = doc.parts[doc.offset + 1]!;
        const flatWhitespace: Command = { indent, mode: FLAT, doc: whitespace };
        const breakWhitespace: Command = { indent, mode: BREAK, doc: whitespace };
        if (rest === 2) {
          if (contentFits) commands.push(flatWhitespace, flatContent);
          else commands.push(breakWhitespace, breakContent);
          break;
        }
        const second = doc.parts[doc.offset + 2]!;
        const pairFits = fits({ indent, mode: FLAT, doc: [content, whitespace, second] }, [], remaining, modes, true);
        commands.push({ indent, mode, doc: { ...doc, offset: doc.offset + 2 } });
        if (pairFits) commands.push(flatWhitespace, flatContent);
        else if (contentFits) commands.push(breakWhitespace, flatContent);
        else commands.push(breakWhitespace, breakContent);
        break;
      }
      case "if-break":
      case "indent-if-break": {
        const groupMode = doc.groupId ? modes.get(doc.groupId) : mode;
        if (doc.kind === "if-break") {
          const contents = groupMode === BREAK ? doc.breakContents : groupMode === FLAT ? doc.flatContents : "";
          if (contents) commands.push({ indent, mode, doc: contents });
        } else if (groupMode === BREAK) commands.push({ indent: indent + "  ", mode, doc: doc.contents });
        else if (groupMode === FLAT) commands.push({ indent, mode, doc: doc.contents });
        break;
      }
      case "line":
        if (mode === FLAT && !doc.hard) {
          if (!doc.soft) {
            out.push(" ");
            position += 1;
          }
          break;
        }
        if (mode === FLAT) shouldRemeasure = true;
        trimTrailing();
        out.push("\n" + indent);
        position = indent.length;
        break;
      case "break-parent":
        break;
    }
  }
  return out.join("");
}
