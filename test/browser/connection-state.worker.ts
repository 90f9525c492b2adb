/**
 * The connection-state test's worker: a gateway to the page's host with a
 * server stream kept open, as an app watching for updates does (started
 * again whenever it ends), and the window bridge relaying the gateway's
 * state. It serves no calls of its own.
 */
import { Code, StreampathError } from "streampath/runtime/core";
import { connectGateway, serveBridge } from "streampath/runtime/guest";
import { createEchoClient } from "echo-generated/echo_host.js";

const gateway = connectGateway(location.origin, { retry: { attempts: 30 } });
serveBridge({ call: () => { throw new StreampathError(Code.Unimplemented, "this worker serves no calls"); } }, self as never, { connection: gateway });

const client = createEchoClient(gateway);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

void (async () => {
  for (;;) {
    try {
      for await (const _ of client.repeat({ text: "watch", repeat: 1, failWith: 0, delayMs: 600_000 }));
    } catch {
      // the app would show the state, not this error; start watching again
    }
    await sleep(250);
  }
})();
