/**
 * The app's dedicated worker (bundled to /worker.js): BoardReader and
 * BoardWriter built by serveWorker over the gateway to the page's own
 * origin, served to the window through the bridge. Who this tab is comes in
 * the worker's URL (`/worker.js?id=...&name=...&color=...`), chosen by the window.
 */
import { connectGateway, serveBridge, serveWorker } from "streampath/runtime/guest";
import type { Author } from "../gen/board/v1/board_pb.js";
import { boardWorker } from "./worker-services.js";

function authorFromUrl(search: string): Author | undefined {
  const params = new URLSearchParams(search);
  const id = params.get("id");
  if (!id) return undefined;
  return { id, displayName: params.get("name") || id, color: params.get("color") || "#888" };
}

const board = boardWorker({ me: authorFromUrl(self.location.search) });
const registry = serveWorker({ gateway: connectGateway(self.location.origin), services: board.services });
serveBridge(registry);
