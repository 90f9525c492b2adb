/** Enums, written as text as prettier prints them. */
import type { Enum, SchemaModel } from "../schema/model.js";
import { docBlock } from "./declarations.js";
import { localName } from "./names.js";

/**
 * Written as text, with the trailing comma prettier adds. An alias is
 * written before the value it aliases, so the enum's reverse mapping (its
 * JSON name) is the first name declared.
 */
export function enumText(model: SchemaModel, e: Enum): string {
  const doc = docText([e.comment, e.deprecated ? "@deprecated" : undefined], "");
  const members = orderAliases(e).map((v) => `${docText([v.deprecated ? "@deprecated" : undefined], "  ")}  ${v.name} = ${v.number},\n`).join("");
  return `${doc}export enum ${localName(model, e.fullName)} {\n${members}}`;
}

/** Declaration order, but each alias right before the first name of its number. */
function orderAliases(e: Enum): Enum["values"] {
  const first = new Map<number, string>();
  for (const v of e.values) if (!first.has(v.number)) first.set(v.number, v.name);
  const out: Enum["values"] = [];
  for (const v of e.values) {
    if (first.get(v.number) !== v.name) continue;
    out.push(...e.values.filter((a) => a.number === v.number && a.name !== v.name), v);
  }
  return out;
}

/** A JSDoc block of the given lines (undefined ones left out), indented; empty when there are none. */
function docText(lines: (string | undefined)[], indent: string): string {
  return docBlock(lines.filter((l): l is string => Boolean(l)).join("\n"), indent, true);
}
