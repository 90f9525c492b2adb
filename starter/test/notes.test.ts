/**
 * The notes service on a real host, called the way another Node.js service
 * would: a host link over HTTP/2 (cleartext here; the app's host uses TLS).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { connectHost, createHost } from "streampath/runtime/host";
import { createNotesHostClient } from "../src/gen/notes_host.js";
import { notesService } from "../src/notes.js";

test("notes are added, imported, watched and checked", async (t) => {
  const host = await createHost({ h2c: true, services: [notesService()] });
  t.after(() => host.close());
  const link = connectHost(host.url);
  t.after(() => link.close());
  const notes = createNotesHostClient(link);

  assert.deepEqual(await notes.add({ text: " Buy milk " }), { id: "1", text: "Buy milk" });
  await assert.rejects(notes.add({ text: "  " }), /a note needs some text/);

  async function* two() {
    yield { text: "Call Ada" };
    yield { text: "Read the guide" };
  }
  assert.deepEqual(await notes.import(two()), { added: 2 });

  const seen: string[] = [];
  const stop = new AbortController();
  await assert.rejects(async () => {
    for await (const note of notes.watch({}, { signal: stop.signal })) {
      seen.push(note.text);
      if (seen.length === 3) stop.abort();
    }
  });
  assert.deepEqual(seen, ["Buy milk", "Call Ada", "Read the guide"]);

  async function* drafts() {
    yield { text: "Buy" };
    yield { text: "Buy milk" };
  }
  const checks = [];
  for await (const check of notes.check(drafts())) checks.push(check);
  assert.deepEqual(checks, [
    { words: 1, duplicate: false },
    { words: 2, duplicate: true },
  ]);
});
