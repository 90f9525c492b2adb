// A window that breaks the bridge's port protocol (see test/browser-bridge-protocol.test.ts).
import type { EchoClient } from "echo-generated/echo_host.js";
import { request } from "./bridge-common.js";

interface RawPacket {
  messages?: unknown[];
  bytes?: Uint8Array;
  count?: number;
  end?: true;
  error?: { code: number; message: string };
  credit?: number;
  cancel?: { code: number; message: string };
}

/**
 * Opens a call by hand on its own port, as a window that breaks the rules
 * would, sends `packets`, and resolves with what the worker answers until
 * its error or end (or 3 s).
 */
function rawCall(worker: Worker, open: Record<string, unknown>, packets: RawPacket[]): Promise<RawPacket[]> {
  const { port1, port2 } = new MessageChannel();
  const seen: RawPacket[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(seen), 3000);
    port1.onmessage = (event: MessageEvent) => {
      seen.push(event.data as RawPacket);
      if ((event.data as RawPacket).error || (event.data as RawPacket).end) {
        clearTimeout(timer);
        port1.close();
        resolve(seen);
      }
    };
    worker.postMessage({ "streampath-bridge": "open", id: -1, window: 4, maxBatch: 4, ...open, port: port2 }, [port2]);
    for (const packet of packets) port1.postMessage(packet);
  });
}

export async function protocol(client: EchoClient, worker: Worker) {
  const chat = "/test.echo.Echo/Chat";
  const five = Array.from({ length: 5 }, (_, i) => request(`m${i}`));
  const errorOf = (packets: RawPacket[]) => packets.find((p) => p.error)?.error;
  return {
    // The handler takes the first request and waits on it, so no credit comes back for these ten.
    pastCredit: errorOf(
      await rawCall(worker, { path: chat, window: 8, maxBatch: 8 }, [
        { messages: [request("slow", { delayMs: 30_000 }), ...five.slice(1)] },
        { messages: five },
      ]),
    ),
    pastBatch: errorOf(await rawCall(worker, { path: chat, window: 8, maxBatch: 4 }, [{ messages: five }])),
    badCredit: errorOf(await rawCall(worker, { path: chat }, [{ credit: -3 }])),
    badWindow: errorOf(await rawCall(worker, { path: chat, window: 0 }, [])),
    noPath: errorOf(await rawCall(worker, { path: 42 }, [])),
    badDeadline: errorOf(await rawCall(worker, { path: chat, timeoutMs: "soon" }, [])),
    binaryUnknown: errorOf(await rawCall(worker, { path: "/test.echo.Echo/Nope", binary: true }, [])),
    garbageBytes: errorOf(await rawCall(worker, { path: chat, binary: true }, [{ bytes: new Uint8Array([0xff, 0xff, 0xff]), count: 1 }])),
    // The same worker still answers a proper call.
    after: (await client.say(request("after"))).text,
  };
}

