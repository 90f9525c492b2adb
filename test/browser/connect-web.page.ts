/**
 * The connect-web test's page (test/host-connect-web-browser.test.ts): the
 * stock @connectrpc/connect-web client, with its default options unless told
 * otherwise, calls the echo host from a window. `runConnectWeb(input)` builds
 * the Echo service from a FileDescriptorSet made in Node, makes a unary call,
 * a server stream and a failing call, and reports what each one gave.
 */
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

export interface ConnectWebInput {
  /** The FileDescriptorSet of echo.proto, base64. */
  descriptorSet: string;
  baseUrl: string;
  /** Left out: connect-web's default (JSON). */
  useBinaryFormat?: boolean;
  /** How many replies the server stream asks for. */
  repeat: number;
}

export interface Failure {
  name: string;
  code?: number;
  rawMessage?: string;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Failure };

export interface ConnectWebResult {
  say: Outcome<{ reply: { text: string; index: number; principal: string; header: string }; header: string | null; trailer: string | null }>;
  repeat: Outcome<{ indexes: number[]; texts: string[]; trailer: string | null }>;
  /** A call asked to fail with NOT_FOUND: `ok` is a bug. */
  fail: Outcome<unknown>;
  /** The page's resource timing entries of the calls: path → nextHopProtocol. */
  protocols: Record<string, string>;
}

function failure(error: unknown): Failure {
  if (error instanceof ConnectError) return { name: "ConnectError", code: error.code, rawMessage: error.rawMessage, message: error.message };
  return { name: error instanceof Error ? error.name : typeof error, message: String(error) };
}

async function outcome<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: failure(error) };
  }
}

async function run(input: ConnectWebInput): Promise<ConnectWebResult> {
  const bytes = Uint8Array.from(atob(input.descriptorSet), (c) => c.charCodeAt(0));
  const Echo = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes)).getService("test.echo.Echo");
  if (!Echo) throw new Error("test.echo.Echo is missing from the descriptor set");
  const transport = createConnectTransport(
    input.useBinaryFormat === undefined ? { baseUrl: input.baseUrl } : { baseUrl: input.baseUrl, useBinaryFormat: input.useBinaryFormat },
  );
  // The service is built at run time, so the client's methods are untyped here.
  const client = createClient(Echo, transport) as unknown as Record<string, (request: object, options?: object) => any>;

  const say = await outcome(async () => {
    const seen = { header: null as string | null, trailer: null as string | null };
    const reply = await client.say(
      { text: "hi ✓" },
      {
        headers: { "x-custom": "v", "x-user": "ada", "x-set-header": "h", "x-set-trailer": "tr" },
        onHeader: (h: Headers) => (seen.header = h.get("x-echo-header")),
        onTrailer: (h: Headers) => (seen.trailer = h.get("x-echo-trailer")),
      },
    );
    return { reply: { text: reply.text, index: reply.index, principal: reply.principal, header: reply.header }, ...seen };
  });

  const repeat = await outcome(async () => {
    const seen = { indexes: [] as number[], texts: [] as string[], trailer: null as string | null };
    const stream = client.repeat(
      { text: "s", repeat: input.repeat },
      { headers: { "x-set-trailer": "done" }, onTrailer: (h: Headers) => (seen.trailer = h.get("x-echo-trailer")) },
    ) as AsyncIterable<{ index: number; text: string }>;
    for await (const r of stream) {
      seen.indexes.push(r.index);
      seen.texts.push(r.text);
    }
    return seen;
  });

  const fail = await outcome(() => client.say({ text: "no such thing ✗", failWith: 5 }));

  const protocols: Record<string, string> = {};
  for (const entry of performance.getEntriesByType("resource") as PerformanceResourceTiming[]) {
    const url = new URL(entry.name);
    if (url.pathname.startsWith("/test.echo.Echo/")) protocols[url.pathname] = entry.nextHopProtocol;
  }
  return { say, repeat, fail, protocols };
}

interface PageReply {
  ok: boolean;
  result?: ConnectWebResult;
  error?: string;
}

(window as unknown as { runConnectWeb: (input: ConnectWebInput) => Promise<PageReply> }).runConnectWeb = (input) =>
  run(input).then(
    (result) => ({ ok: true, result }),
    (error: unknown) => ({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) }),
  );
