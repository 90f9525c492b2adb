// Proves the harness: HTTPS origin, project runtime code bundled in, fetch back to the host.
import { EnvelopeDecoder, encodeEnvelope } from "streampath/runtime/core";
import { serveTest } from "./worker-main.js";

serveTest(async (input: { text: string }) => {
  const encoded = encodeEnvelope(0, new TextEncoder().encode(input.text));
  // Split mid-header so the decoder has to join chunks.
  const decoder = new EnvelopeDecoder({ maxMessageBytes: 1024 });
  const envelopes = [...decoder.decode(encoded.subarray(0, 3)), ...decoder.decode(encoded.subarray(3))];
  const ping = await fetch(`${location.origin}/ping`);
  return {
    protocol: location.protocol,
    encoded: Array.from(encoded),
    decoded: envelopes.map((e) => new TextDecoder().decode(e.data)),
    ping: { status: ping.status, body: await ping.text() },
  };
});
