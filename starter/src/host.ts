/**
 * The app's host: the notes service and the page, on one HTTPS origin
 * (browsers speak HTTP/2, which the worker's streaming calls need, only
 * over TLS). In development the certificate is made for you; the browser
 * asks once whether to trust it.
 */
import { existsSync } from "node:fs";
import { createHost, developmentCertificate, drainOnSignal } from "streampath/runtime/host";
import { notesService } from "./notes.js";

const port = Number(process.env.PORT ?? 8443);
if (!existsSync("public/build/window.js")) console.warn("public/build/ has no window.js yet: run npm run build (or npm run dev)");

try {
  const host = await createHost({
    tls: developmentCertificate(),
    static: "public",
    port,
    services: [notesService()],
  });
  drainOnSignal(host, { graceMs: 1000 });
  console.log(`notes: ${host.url}/ (a development certificate: let the browser proceed once)`);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "EADDRINUSE" && code !== "EACCES") throw error;
  console.error(`${(error as Error).message}\nTo use another port: PORT=${port + 1} npm run dev`);
  process.exit(1);
}
