/**
 * The check that finds the first unknown command or option on a command
 * line, said with a "did you mean" (so that the CLI can answer with a
 * suggestion rather than yargs' bare list).
 */
import { didYouMean } from "../schema/did-you-mean.js";

/** What a command line may contain, for `unknownUsage`. */
export interface UsageSpec {
  commands: readonly string[];
  /** Long option names as written after `--` (kebab-case); booleans may also be negated with `--no-`. */
  options: readonly string[];
  /** One-letter aliases, without the dash. */
  short: readonly string[];
}

/**
 * The first word of `argv` that is neither a known command (in first place)
 * nor a known option, said with a suggestion when one is close; undefined
 * when there is none. Values and positionals are not judged: anything after
 * `--`, or not starting with `-`, past the command.
 */
export function unknownUsage(argv: readonly string[], spec: UsageSpec): string | undefined {
  const first = argv[0];
  if (first !== undefined && !first.startsWith("-") && !spec.commands.includes(first)) {
    const guess = didYouMean(first, spec.commands);
    const known = spec.commands.map((c) => `"${c}"`).join(", ");
    return `unknown command "${first}"; ${guess ? `did you mean "${guess}"?` : `the commands are ${known}`}`;
  }
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const longs = new Set(spec.options.flatMap((o) => [o, camel(o)]));
  for (const arg of argv) {
    if (arg === "--") break;
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0]!;
      const bare = name.startsWith("no-") && longs.has(name.slice(3)) ? name.slice(3) : name;
      if (longs.has(bare)) continue;
      const guess = didYouMean(name, spec.options);
      return `unknown option --${name}${guess ? `; did you mean --${guess}?` : ""}`;
    }
    if (/^-[^-\d]/.test(arg)) {
      const letter = arg[1]!;
      if (spec.short.includes(letter)) continue;
      const guess = spec.short.find((s) => s.toLowerCase() === letter.toLowerCase());
      return `unknown option -${letter}${guess ? `; did you mean -${guess}?` : ""}`;
    }
  }
  return undefined;
}
