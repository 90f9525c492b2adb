/**
 * The app's window: starts the worker, serves the page (the NotesPage view
 * service, given clients of the worker's reader and writer) and shows
 * whether the host is reached. One call of each kind goes window → worker →
 * host: Add (unary), Watch (server streaming), Import (client streaming),
 * Check (bidi streaming, as you type).
 */
import { Code, StreampathError, type ConnectionState } from "streampath/runtime/core";
import { connectWorker, serveView } from "streampath/runtime/view";
import type { Draft } from "./gen/notes_pb.js";
import { createNotesPageClient, defineNotesPage } from "./gen/notes_view.js";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = byId<HTMLFormElement>("add");
const input = form.elements.namedItem("text") as HTMLInputElement;
const list = byId<HTMLUListElement>("notes");
const check = byId("check");
const message = byId("message");
const status = byId("status");

const STATUS: Record<ConnectionState["kind"], string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline: changes wait until the host is back",
};

let fade: ReturnType<typeof setTimeout> | undefined;
function say(text: string, kind: "info" | "error" = "info"): void {
  clearTimeout(fade);
  message.textContent = text;
  message.dataset.kind = kind;
  if (kind === "info") fade = setTimeout(() => (message.textContent = ""), 4000);
}

/** The input's text each time the check is ready for more: never more than one draft waits. */
async function* drafts(signal: AbortSignal): AsyncGenerator<Draft> {
  let changed: (() => void) | undefined;
  const wake = () => changed?.();
  input.addEventListener("input", wake);
  signal.addEventListener("abort", wake);
  try {
    while (!signal.aborted) {
      yield { text: input.value };
      await new Promise<void>((resolve) => (changed = resolve));
    }
  } finally {
    input.removeEventListener("input", wake);
  }
}

// The page's calls live as long as the page: Open's own signal ends when Open returns.
const page = new AbortController();
/**
 * Runs a stream for the page's life. When the host is lost (a restart, a
 * deploy, the network) it runs it again once the host is back; any other
 * failure is shown.
 */
async function keep(what: string, run: () => Promise<void>): Promise<void> {
  while (!page.signal.aborted) {
    try {
      await run();
      return;
    } catch (error) {
      const failure = StreampathError.from(error);
      if (page.signal.aborted) return;
      if (failure.code !== Code.Unavailable) return say(`${what} stopped: ${failure.message}`, "error");
      await new Promise((resolve) => setTimeout(resolve, 500));
      await connection.whenLive(page.signal).catch(() => undefined);
    }
  }
}

const worker = new Worker("/build/worker.js", { type: "module" });
const connection = connectWorker(worker);
const showStatus = (state: ConnectionState) => {
  status.textContent = STATUS[state.kind];
  status.dataset.state = state.kind;
};
showStatus(connection.state);
connection.subscribe(showStatus);

const views = serveView({
  worker: connection,
  services: [
    defineNotesPage(({ notesReader, notesWriter }) => ({
      async open() {
        const { signal } = page;
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          try {
            const note = await notesWriter.add({ text: input.value });
            form.reset();
            input.dispatchEvent(new Event("input"));
            say(`Added note ${note.id}`);
          } catch (error) {
            say(StreampathError.from(error).message, "error");
          }
        });
        byId("import").addEventListener("click", async () => {
          async function* examples() {
            for (const text of ["Buy milk", "Call Ada", "Read the streampath guide"]) yield { text };
          }
          try {
            const { added } = await notesWriter.import(examples());
            say(`Imported ${added} notes`);
          } catch (error) {
            say(StreampathError.from(error).message, "error");
          }
        });
        void keep("Checking", async () => {
          for await (const { words, duplicate } of notesReader.check(drafts(signal), { signal })) {
            check.textContent = duplicate ? "You have this note already" : `${words} ${words === 1 ? "word" : "words"}`;
          }
        });
        void keep("Updating the notes", async () => {
          list.replaceChildren(); // Watch starts with every note there is
          for await (const note of notesReader.watch({}, { signal })) {
            list.append(Object.assign(document.createElement("li"), { textContent: note.text }));
          }
        });
        return {};
      },
    })),
  ],
});

addEventListener("pagehide", () => {
  page.abort();
  views.close();
  connection.close();
  worker.terminate();
});

await createNotesPageClient(views.transport).open({});
document.body.dataset.ready = "true";
