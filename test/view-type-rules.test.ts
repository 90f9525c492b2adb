/**
 * The roles' dependency rules hold in the generated types, not only in the
 * schema check: with a host, a write and a view service whose methods look
 * alike (test/fixtures/view/rules.proto), a view's service, implementation,
 * context and dependencies cannot stand in for a worker's, nor the reverse.
 *
 * Each misuse is marked `// @ts-expect-error <rule> ~ <part of the error>`.
 * The marked code compiles clean, so each misuse is an error (tsc reports a
 * directive with nothing to suppress); compiled again without the
 * directives, each marked line has an error saying what the rule says, and
 * no other line has one.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import test from "ava";
import ts from "typescript";
import { FIXTURES, generateFixture } from "./helpers/generated.js";
import { typeCheck } from "./helpers/typecheck.js";

const USAGE = `
import { connectGateway, defineWorkerService, serveWorker, type GuestContext } from "streampath/runtime/guest";
import { defineViewService, serveView, type ViewContext } from "streampath/runtime/view";
import { Store } from "./view/rules_host.js";
import { Notes, type NotesImplementation, defineNotes } from "./view/rules_guest.js";
import { NotesView, type NotesViewImplementation, defineNotesView } from "./view/rules_view.js";

const reply = { text: "", index: 0, principal: "", header: "" };
// What is allowed compiles: a write service with its host client, a view with its write client.
const notes = defineNotes(({ store }) => ({ save: (request, context) => store.save(request, { signal: context.signal }) }));
const notesView = defineNotesView(({ notes: client }) => ({
  save: (request, context) => client.save(request, { signal: context.signal, timeoutMs: context.deadline }),
}));
const worker = serveWorker({ gateway: connectGateway("https://example.test"), services: [notes] });
export const views = serveView({ worker: worker.transport, services: [notesView] });
const viewImplementation: NotesViewImplementation = { save: () => reply };
const workerImplementation: NotesImplementation = { save: () => reply };
export const realms: ["worker", "window"] = [null! as GuestContext["realm"], null! as ViewContext["realm"]];

// @ts-expect-error a view service cannot be served in a worker ~ '"window"' is not assignable to type '"worker"'
serveWorker({ gateway: worker.transport, services: [notesView] });
// @ts-expect-error a worker service cannot be served in a window ~ '"worker"' is not assignable to type '"window"'
serveView({ worker: worker.transport, services: [notes] });
// @ts-expect-error a view's implementation is not a write service's ~ parameters 'context' and 'context' are incompatible
defineNotes(() => viewImplementation);
// @ts-expect-error a write service's implementation is not a view's ~ parameters 'context' and 'context' are incompatible
defineNotesView(() => workerImplementation);
// @ts-expect-error a view handler gets a ViewContext, not a GuestContext ~ 'ViewContext' is not assignable to type 'GuestContext'
defineNotesView(() => ({ save: (_request, _context: GuestContext) => reply }));
defineNotesView(() => ({
  save(_request, context) {
    // @ts-expect-error a view's context is not a worker's ~ 'ViewContext' is not assignable to type 'GuestContext'
    const guest: GuestContext = context;
    return { ...reply, text: guest.realm };
  },
}));
// @ts-expect-error a view's dependencies hold no host client ~ Property 'store' does not exist on type 'NotesViewDependencies'
defineNotesView(({ store }) => ({ save: (request) => store.save(request) }));
// @ts-expect-error a view may not depend on a host service ~ '"host"' is not assignable to type '"read" | "write" | "view"'
defineViewService(NotesView, () => viewImplementation, { store: { service: Store, role: "host" } });
// @ts-expect-error a worker service may not depend on a view ~ '"view"' is not assignable to type '"host" | "read" | "write"'
defineWorkerService(Notes, () => workerImplementation, { view: { service: NotesView, role: "view" } });
`;

const MARK = /^\s*\/\/ @ts-expect-error (.+) ~ (.+)$/;

test("each role rule is a type error, for the reason it states, and nothing else is", async (t) => {
  const out = await generateFixture(`view-rules-${process.pid}`, {
    files: [path.join(FIXTURES, "view/rules.proto")],
    includePaths: [FIXTURES],
    strictRoles: true,
  });
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const lines = USAGE.split("\n");
  const marks = lines.flatMap((line, i) => {
    const m = MARK.exec(line);
    return m ? [{ line: i + 1, rule: m[1]!, expected: m[2]! }] : [];
  });
  t.is(marks.length, 9, "every marked rule is checked");

  t.is(typeCheck(out, { "usage.ts": USAGE }).text, "", "with the directives: clean, so every marked line is an error");

  // Without them (each directive line left as an empty comment, so line numbers stay), the errors themselves.
  const bare = lines.map((line) => (MARK.test(line) ? "//" : line)).join("\n");
  const { diagnostics } = typeCheck(out, { "usage.ts": bare });
  const errors = diagnostics.map((d) => {
    t.is(d.file && path.basename(d.file.fileName), "usage.ts", ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    return {
      line: d.file!.getLineAndCharacterOfPosition(d.start!).line, // 0-based: the line after the directive's
      text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    };
  });
  for (const mark of marks) {
    const at = errors.filter((e) => e.line === mark.line);
    t.true(at.length > 0, `${mark.rule}: no error on the line after the directive`);
    t.true(
      at.some((e) => e.text.includes(mark.expected)),
      `${mark.rule}: expected an error with ${mark.expected}, got:\n${at.map((e) => e.text).join("\n")}`,
    );
  }
  const unmarked = errors.filter((e) => !marks.some((m) => m.line === e.line));
  t.deepEqual(unmarked, [], "only the marked lines are errors");
});
