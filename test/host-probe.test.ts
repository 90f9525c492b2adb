/**
 * The guest's connection probe gets 200 and an empty message from a host,
 * before authentication, and CORS headers for an allowed page: an error
 * status would be logged in the browser's console on every probe.
 */
import test from "ava";
import { PROBE_PATH } from "../runtime/guest/index.js";
import { createHost } from "../runtime/host/index.js";
import { echoServedBy, rawRequest, rawSession } from "./helpers/host.js";

test("POST of the probe path: 200, empty application/proto, before authenticate, with CORS for an allowed origin", async (t) => {
  const host = await createHost({
    h2c: true,
    services: [await echoServedBy({})],
    authenticate: () => {
      throw new Error("nobody is let in");
    },
    cors: { allowedOrigins: ["https://app.example"] },
  });
  t.teardown(() => host.close());
  const session = await rawSession(t, host.url);
  const answer = await rawRequest(session, {
    ":method": "POST",
    ":path": PROBE_PATH,
    "content-type": "application/proto",
    origin: "https://app.example",
  }).response;
  t.is(answer.status, 200);
  t.is(answer.headers["content-type"], "application/proto");
  t.is(answer.headers["access-control-allow-origin"], "https://app.example");
  t.is(answer.body.length, 0);
  const refused = await rawRequest(session, { ":method": "POST", ":path": PROBE_PATH, "content-type": "application/proto", origin: "https://evil.example" }).response;
  t.not(refused.status, 200, "a refused origin is refused as for a call");
});
