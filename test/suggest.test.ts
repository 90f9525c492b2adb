// didYouMean and the command-line check built on it (generator/suggest.ts).
import test from "ava";
import { unknownUsage } from "../generator/suggest.js";
import { didYouMean, editDistance } from "../schema/did-you-mean.js";

test("editDistance counts inserts, deletes, replacements and swapped neighbours", (t) => {
  t.is(editDistance("", ""), 0);
  t.is(editDistance("", "abc"), 3);
  t.is(editDistance("taget", "target"), 1);
  t.is(editDistance("Tood", "Todo"), 1, "a swap is one edit");
  t.is(editDistance("kitten", "sitting"), 3);
  t.is(editDistance("abc", "abc"), 0);
});

test("didYouMean: case, a unique prefix, or the one nearest within a third of the word", (t) => {
  t.is(didYouMean("gen", ["generate"]), "generate");
  t.is(didYouMean("genrate", ["generate"]), "generate");
  t.is(didYouMean("taget", ["out", "include", "target", "check"]), "target");
  t.is(didYouMean("Tood", ["Todo", "List"]), "Todo");
  t.is(didYouMean("todo", ["Todo", "Toda"]), "Todo", "case alone is the best match");
  t.is(didYouMean("strict-role", ["strict-roles", "verbose"]), "strict-roles");
  t.is(didYouMean("frobnicate", ["generate"]), undefined, "nothing close");
  t.is(didYouMean("Cart", ["Card", "Cars"]), undefined, "two equally close: no guess");
  t.is(didYouMean("x", ["o", "w"]), undefined, "one letter is too short to guess from");
  t.is(didYouMean("Todo", ["Todo"]), undefined, "not a typo");
  t.is(didYouMean("ab", []), undefined);
});

const SPEC = { commands: ["generate"], options: ["out", "include", "target", "strict-roles", "help", "version"], short: ["o", "I"] };

test("unknownUsage names the first unknown command or option, with a suggestion", (t) => {
  t.is(unknownUsage(["generate", "a.proto", "-o", "gen", "--target=host", "--strictRoles", "--no-strict-roles"], SPEC), undefined);
  t.is(unknownUsage([], SPEC), undefined);
  t.is(unknownUsage(["--help"], SPEC), undefined);
  t.is(unknownUsage(["gen"], SPEC), 'unknown command "gen"; did you mean "generate"?');
  t.is(unknownUsage(["build"], SPEC), 'unknown command "build"; the commands are "generate"');
  t.is(unknownUsage(["generate", "a.proto", "--taget", "host"], SPEC), "unknown option --taget; did you mean --target?");
  t.is(unknownUsage(["generate", "a.proto", "--taget=host"], SPEC), "unknown option --taget; did you mean --target?");
  t.is(unknownUsage(["generate", "a.proto", "--frobnicate"], SPEC), "unknown option --frobnicate");
  t.is(unknownUsage(["generate", "a.proto", "-i", "x"], SPEC), "unknown option -i; did you mean -I?");
  t.is(unknownUsage(["generate", "--", "--not-an-option.proto"], SPEC), undefined, "after --, words are files");
});
