/**
 * The app's worker: the reader and writer services, each given a client of
 * the host, served to the window over the bridge. Calls to the host go
 * through the gateway, on the page's own origin; its connection state goes
 * to the window too.
 */
import { connectGateway, serveBridge, serveWorker } from "streampath/runtime/guest";
import { defineNotesReader, defineNotesWriter } from "./gen/notes_guest.js";

const gateway = connectGateway(self.location.origin);

const registry = serveWorker({
  gateway,
  services: [
    defineNotesReader(({ notesHost }) => ({
      watch: (request, { signal }) => notesHost.watch(request, { signal }),
      check: (drafts, { signal }) => notesHost.check(drafts, { signal }),
    })),
    defineNotesWriter(({ notesHost }) => ({
      add: (request, { signal }) => notesHost.add(request, { signal }),
      import: (requests, { signal }) => notesHost.import(requests, { signal }),
    })),
  ],
});

serveBridge(registry, undefined, { connection: gateway });
