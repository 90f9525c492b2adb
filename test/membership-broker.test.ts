/**
 * Membership through the broker: instances announce themselves on a topic
 * and forward pair halves to each other by what they heard. One that leaves
 * says so; one that crashed is forgotten after the TTL; either way a half
 * for it fails aborted at once. Run on the in-process broker and on NATS.
 */
import test from "ava";
import type { ExecutionContext } from "ava";
import { type Broker, type BrokerMembership, brokerMembership, createMemoryBroker } from "../runtime/host/index.js";
import { createNatsBroker } from "../runtime/host/broker-nats.js";
import { PairHeader } from "../runtime/core/pair.js";
import { roundRobin } from "./helpers/cluster.js";
import { nodeGateway } from "./helpers/guest.js";
import { type EchoClient, type EchoHost, type Event, loadEcho, pairHeaders, rawRequest, rawSession, startEchoHost, waitFor } from "./helpers/host.js";
import { startNats } from "./helpers/nats.js";

interface Member {
  echo: EchoHost;
  membership: BrokerMembership;
}

/** `names` instances, each announcing itself on `broker(i)` (one broker per instance, as separate processes have). */
async function members(t: ExecutionContext, names: string[], broker: (i: number) => Broker, ttlMs = 600): Promise<Member[]> {
  const out: Member[] = [];
  for (const [i, name] of names.entries()) {
    let membership: BrokerMembership | undefined;
    // The host's URL is known once it listens: membership is made then, and asked through this.
    const echo = await startEchoHost(t, { cluster: { instanceId: name, membership: { resolve: (n) => membership!.resolve(n) } } });
    membership = brokerMembership(broker(i), { instanceId: name, url: echo.url, intervalMs: ttlMs / 3, ttlMs });
    t.teardown(() => membership!.close());
    out.push({ echo, membership });
  }
  await waitFor(() => out.every((m) => m.membership.members().size === names.length), 5000, "every instance hearing every other");
  return out;
}

async function* events(n: number): AsyncGenerator<Event> {
  for (let seq = 1; seq <= n; seq++) yield { seq: BigInt(seq), payload: new Uint8Array([seq & 0xff]) };
}

async function bidis(client: EchoClient, calls: number): Promise<number> {
  let ok = 0;
  await Promise.all(Array.from({ length: calls }, async () => {
    let expected = 1;
    for await (const event of client.events(events(30))) if (Number(event.seq) === expected) expected++;
    if (expected === 31) ok++;
  }));
  return ok;
}

async function downStatus(url: string, t: ExecutionContext, id: string) {
  const session = await rawSession(t, url);
  const { response } = rawRequest(session, pairHeaders("down", { [PairHeader.id]: id, [PairHeader.received]: "0" }));
  const { status, body } = await response;
  return { status, text: body.toString() };
}

for (const kind of ["memory", "nats"] as const) {
  test(`${kind}: instances find each other through the broker; halves are forwarded; one that left or went silent is gone at once`, async (t) => {
    let brokers: (i: number) => Broker;
    if (kind === "memory") {
      const shared = await createMemoryBroker();
      t.teardown(() => shared.close());
      brokers = () => shared;
    } else {
      const nats = await startNats(t);
      const each = await Promise.all([0, 1, 2].map(() => createNatsBroker({ servers: nats.url })));
      t.teardown(() => Promise.all(each.map((b) => b.close())));
      brokers = (i) => each[i]!;
    }
    const [a, b, c] = await members(t, ["m1", "m2", "m3"], brokers);
    const urls = [a!, b!, c!].map((m) => m.echo.url);
    const gateway = nodeGateway(t, urls[0]!, { upload: "stream", wrapFetch: (fetch) => roundRobin(fetch, urls[0]!, () => urls).fetch });
    const client = (await loadEcho()).createEchoClient(gateway) as EchoClient;
    t.is(await bidis(client, 30), 30);
    const forwarded = [a!, b!, c!].reduce((n, m) => n + m.echo.host.forwarded.up, 0);
    t.true(forwarded >= 10, `${forwarded} ups forwarded`);

    // b leaves (says so): a half for it is refused aborted at once, without a connection attempt.
    await b!.membership.close();
    await waitFor(() => !a!.membership.members().has("m2"), 3000, "a forgetting m2");
    const left = await downStatus(a!.echo.url, t, `m2.${"A".repeat(22)}`);
    t.is(left.status, 409);
    t.regex(left.text, /"code":"aborted".*instance m2 is gone/);

    // An instance that announced itself and then crashed says nothing more: forgotten once the TTL (600 ms) passes.
    const ghost = new TextEncoder().encode(JSON.stringify({ name: "ghost", url: c!.echo.url }));
    await brokers(0).publish("streampath-members", ghost);
    await waitFor(() => a!.membership.members().has("ghost"), 3000, "a hearing the ghost");
    const heard = Date.now();
    await waitFor(() => !a!.membership.members().has("ghost"), 3000, "a forgetting the ghost");
    const forgotten = Date.now() - heard;
    t.true(forgotten >= 400 && forgotten < 2000, `forgotten after ${forgotten} ms`);
    const gone = await downStatus(a!.echo.url, t, `ghost.${"B".repeat(22)}`);
    t.is(gone.status, 409, gone.text);
  });
}

test("an instance started after the others knows them before it answers (resolve waits until it has read the topic)", async (t) => {
  const shared = await createMemoryBroker();
  t.teardown(() => shared.close());
  const [first] = await members(t, ["early"], () => shared);
  const late = brokerMembership(shared, { instanceId: "late", url: "http://127.0.0.1:1", intervalMs: 200 });
  t.teardown(() => late.close());
  t.is(await late.resolve("early"), new URL(first!.echo.url).origin, "known on the first ask");
  t.is(await late.resolve("nobody"), undefined);
  const error = t.throws(() => brokerMembership(shared, { instanceId: "Bad Name", url: "http://127.0.0.1:1" }));
  t.true(error instanceof TypeError);
});
