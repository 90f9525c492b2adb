/**
 * The notes service: every note in memory, in the order added. Watchers read
 * the list by position and wait for the next note, so a slow watcher holds
 * no queue of its own.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import { implement } from "streampath/runtime/host";
import { NotesHost } from "./gen/notes_host.js";
import type { Note } from "./gen/notes_pb.js";

const MAX_TEXT = 500;

export function notesService() {
  const notes: Note[] = [];
  let added = signal();

  function add(text: string): Note {
    const trimmed = text.trim();
    if (!trimmed) throw new StreampathError(Code.InvalidArgument, "a note needs some text");
    if (trimmed.length > MAX_TEXT) throw new StreampathError(Code.InvalidArgument, `a note has at most ${MAX_TEXT} characters`);
    const note: Note = { id: String(notes.length + 1), text: trimmed };
    notes.push(note);
    added.fire();
    added = signal();
    return note;
  }

  return implement(NotesHost, {
    async add({ text }) {
      return add(text);
    },
    async *watch(_request, { signal: cancel }) {
      for (let next = 0; !cancel.aborted; ) {
        while (next < notes.length) yield notes[next++]!;
        await added.or(cancel);
      }
    },
    async import(requests) {
      let count = 0;
      for await (const { text } of requests) {
        add(text);
        count++;
      }
      return { added: count };
    },
    async *check(drafts) {
      for await (const { text } of drafts) {
        const trimmed = text.trim();
        yield {
          words: trimmed ? trimmed.split(/\s+/).length : 0,
          duplicate: notes.some((note) => note.text === trimmed),
        };
      }
    },
  });
}

/** A one-time event: `or(cancel)` resolves when it fires or `cancel` aborts. */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return {
    fire,
    or: (cancel: AbortSignal) =>
      new Promise<void>((resolve) => {
        const done = () => {
          cancel.removeEventListener("abort", done);
          resolve();
        };
        cancel.addEventListener("abort", done);
        void fired.then(done);
      }),
  };
}
