/**
 * The app's dedicated worker (bundled to /worker.js): BoardReader and
 * BoardWriter built by serveWorker over the gateway to the page's own
 * origin, served to the window through the bridge, with the gateway's
 * connection state. Who this tab is comes in
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

const gateway = connectGateway(self.location.origin);
const board = boardWorker({ me: authorFromUrl(self.location.search), connection: gateway });
const registry = serveWorker({ gateway, services: board.services });
// The window shows whether the host is reached now (connecting, live, reconnecting and why, offline).
serveBridge(registry, undefined, { connection: gateway });
