// Serves the bridge benchmark's page, its module and the worker over plain
// HTTP on 127.0.0.1 (a secure context without a certificate: nothing here
// touches the network after loading).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const HTML = `<!doctype html><meta charset=utf-8><title>streampath bridge bench</title><link rel=icon href="data:,">
<script type=module src="/page.js"></script>
`;

export async function servePage(page: string, worker: string): Promise<{ url: string; server: Server }> {
  const files: Record<string, [string, string]> = {
    "/": ["text/html; charset=utf-8", HTML],
    "/page.js": ["text/javascript; charset=utf-8", page],
    "/worker.js": ["text/javascript; charset=utf-8", worker],
  };
  const server = createServer((req, res) => {
    const file = files[(req.url ?? "/").split("?")[0]!];
    res.writeHead(file ? 200 : 404, { "content-type": file?.[0] ?? "text/plain", "cache-control": "no-store" });
    res.end(file?.[1] ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
