/**
 * Many pairs, one connection, back to baseline. One gateway (one HTTP/2
 * connection, as a browser has) keeps N server-streaming and bidi calls in
 * flight for a while, calls ending and new ones starting, some canceled
 * midway; afterwards the host must be back where it started: no handler
 * running, no stream open, timers and resources as before, heap as before.
 * Then N server-streaming calls started at once must all complete.
 */
import { setMaxListeners } from "node:events";
import path from "node:path";
import v8 from "node:v8";
import { connectGateway } from "../../runtime/guest/index.js";
import { DEFAULT_PAIR_OPTIONS, type HandlerContext } from "../../runtime/host/index.js";
import type { EchoRequest, Event } from "../helpers/host.js";
import {
  Code, FailureTally, type Report, describe, within, StreampathError, activeResources, between, closeAll, failureCode, fetchKind, guestFetch, loadEcho, mib,
  openFds, pollUntil, resourceDiff, seeded, setPhase, settledHeap, sleep, startHost, waiting,
} from "./common.js";

export interface LoadOptions {
  full: boolean;
  seed: number;
  report: Report;
}

/** Heap growth allowed after the load, once garbage is collected. */
const HEAP_SLACK = 8 * 1024 * 1024;
/** How long after the calls settle the host must be back to no handler and no stream (see the check). */
const RELEASE_BOUND_MS = Math.max(DEFAULT_PAIR_OPTIONS.upTimeoutMs, DEFAULT_PAIR_OPTIONS.resumeTimeoutMs) + 2000;
/** Active resources of one type allowed above the baseline afterwards. */
const RESOURCE_SLACK = 5;

export async function runLoad({ full, seed, report }: LoadOptions): Promise<void> {
  const random = seeded(seed + 100);
  const concurrency = full ? 5000 : 2000;
  const churnMs = full ? 60_000 : 15_000;
  const burst = full ? 5000 : 2000;
  const { createEchoClient, EchoReply } = await loadEcho();
  setPhase("load: starting");

  // ------------------------------------------------------------- the host
  let running = 0;
  let runningPeak = 0;
  /** Handlers running now, by method: what a failed release check names. */
  const runningBy = new Map<string, number>();
  const enter = (method: string) => {
    running++;
    if (running > runningPeak) runningPeak = running;
    runningBy.set(method, (runningBy.get(method) ?? 0) + 1);
  };
  const leave = (method: string) => {
    running--;
    runningBy.set(method, (runningBy.get(method) ?? 1) - 1);
  };
  const runningNames = () => [...runningBy].filter(([, n]) => n > 0).map(([m, n]) => `${m} ${n}`).join(", ") || "none";
  const impl = {
    async say(req: EchoRequest) {
      return EchoReply.create({ text: req.text });
    },
    async *repeat(req: EchoRequest, ctx: HandlerContext) {
      enter("repeat");
      try {
        if (req.delayMs > 0) await sleep(Math.min(req.delayMs, 5000));
        for (let i = 0; i < Math.min(req.repeat, 10_000) && !ctx.signal.aborted; i++) yield EchoReply.create({ text: req.text, index: i });
      } finally {
        leave("repeat");
      }
    },
    async collect(reqs: AsyncIterable<EchoRequest>) {
      enter("collect");
      try {
        let n = 0;
        for await (const _ of reqs) n++;
        return EchoReply.create({ index: n });
      } finally {
        leave("collect");
      }
    },
    async *chat(reqs: AsyncIterable<EchoRequest>) {
      for await (const req of reqs) yield EchoReply.create({ text: req.text });
    },
    async *events(reqs: AsyncIterable<Event>) {
      enter("events");
      try {
        for await (const e of reqs) yield e;
      } finally {
        leave("events");
      }
    },
    async *flood(req: EchoRequest, ctx: HandlerContext) {
      enter("flood");
      const payload = new Uint8Array(Math.min(req.repeat, 4096)).fill(0x62);
      const end = Date.now() + 60_000;
      try {
        for (let seq = 1; seq <= 1_000_000 && !ctx.signal.aborted && Date.now() < end; seq++) yield { seq: BigInt(seq), payload };
      } finally {
        leave("flood");
      }
    },
  };
  // One principal has every call here; the per-principal pair limit is abuse.ts's subject, not this one's.
  const maxPairs = 1_000_000;
  const host = await startHost({ impl, pair: { maxPairsPerPrincipal: maxPairs } });
  report.figure("guest fetch", fetchKind());
  report.figure("host", `pair.maxPairsPerPrincipal ${maxPairs} (one principal makes every call), other options default`);

  const guest = await guestFetch(host.url);
  const client = createEchoClient(connectGateway(host.url, { fetch: guest.fetch }));
  const headers = { "x-user": "load" };

  // The churn's calls (defined first: the warm-up makes them too).
  const tally = { started: 0, ok: 0, canceledAsAsked: 0, stoppedReading: 0, wrong: 0 };
  const unexpected = new FailureTally();
  const cancelFailures = new FailureTally(); // calls the harness canceled that ended otherwise than canceled
  let settled = 0;

  const oneCall = async (): Promise<void> => {
    tally.started++;
    const roll = random();
    const abort = new AbortController();
    const cancel = roll >= 0.85;
    const options = { headers, signal: abort.signal };
    try {
      if (cancel) {
        // Canceled midway: a slow bidi call or a delayed server stream, aborted after a random moment.
        setTimeout(() => abort.abort(new StreampathError(Code.Canceled, "harness: canceled midway")), between(random, 0, 200));
        if (random() < 0.5) {
          for await (const _ of client.events(events(20, 25), options));
        } else {
          for await (const _ of client.repeat({ text: "c", repeat: 5, failWith: 0, delayMs: 300 }, options));
        }
        tally.ok++; // finished before the cancel came
      } else if (roll < 0.35) {
        const n = between(random, 1, 20);
        let got = 0;
        for await (const r of client.repeat({ text: "r", repeat: n, failWith: 0, delayMs: 0 }, options)) if (r.index === got) got++;
        if (got === n) tally.ok++;
        else tally.wrong++;
      } else if (roll < 0.7) {
        const n = between(random, 1, 10);
        let got = 0;
        for await (const e of client.events(events(n), options)) if (Number(e.seq) === got + 1) got++;
        if (got === n) tally.ok++;
        else tally.wrong++;
      } else {
        const n = between(random, 1, 20);
        let got = 0;
        for await (const _ of client.flood({ text: "f", repeat: 16, failWith: 0, delayMs: 0 }, options)) if (++got >= n) break;
        tally.stoppedReading++;
      }
    } catch (error) {
      if (cancel) {
        if (failureCode(error) === "canceled") tally.canceledAsAsked++;
        else cancelFailures.add(error);
      } else unexpected.add(error);
    } finally {
      settled++;
    }
  };
  // --------------------------------------------------------- baseline
  setPhase("load: warm-up and baseline");
  const warm = await within(20_000, (async () => {
    for (let i = 0; i < 20; i++) {
      for await (const _ of client.repeat({ text: "warm", repeat: 3, failWith: 0, delayMs: 0 }, { headers }));
      for await (const _ of client.events(events(3), { headers }));
    }
  })().then(() => undefined, (error: unknown) => error), "load: warm-up calls");
  if (warm.timedOut || warm.value !== undefined) {
    report.check("load: 40 warm-up calls, one at a time, complete within 20 s", false, warm.timedOut ? "timed out" : describe(warm.value));
    await closeAll(report, "load", [["guest fetch", () => guest.close()], ["host", () => host.close()]]);
    return;
  }
  // Then the churn's own mix (cancels included), so that code and caches it warms are in the baseline too.
  const mixed = await within(30_000, Promise.all(Array.from({ length: 50 }, async () => {
    for (let i = 0; i < 8; i++) await oneCall();
  })), "load: warm-up with the churn's mix");
  const warmFailures = unexpected.total + cancelFailures.total + tally.wrong;
  if (mixed.timedOut || warmFailures > 0) {
    report.figure("warm-up failures", [...unexpected.messages(), ...cancelFailures.messages()].join(" | ") || "none");
  }
  report.figure("warm-up", `${tally.started} calls of the churn's mix, 50 at a time: ${mixed.timedOut ? "not done within 30 s" : `${warmFailures} failed unexpectedly`}`);
  Object.assign(tally, { started: 0, ok: 0, canceledAsAsked: 0, stoppedReading: 0, wrong: 0 });
  unexpected.reset();
  cancelFailures.reset();
  settled = 0;
  // A pair canceled before its down was answered keeps its handler until the host gives up on it (up or resume timeout).
  await pollUntil(() => running === 0 && host.counters.streamsOpen === 0, 20_000, "load: warm-up calls to end");
  await sleep(300);
  // FAULTS_HEAPSNAP=DIR: heap snapshots of the baseline and of 10 s after the load, to see what is kept.
  if (process.env.FAULTS_HEAPSNAP) v8.writeHeapSnapshot(path.join(process.env.FAULTS_HEAPSNAP, "load-baseline.heapsnapshot"));
  const base = {
    resources: activeResources(),
    fds: openFds(),
    heap: await settledHeap(),
    spaces: heapSpaces(),
    running,
    streams: host.counters.streamsOpen,
    sessions: host.counters.sessionsOpen,
    sessionsTotal: host.counters.sessionsTotal,
  };
  report.figure("baseline", `heap ${mib(base.heap)}, fds ${base.fds}, handlers running ${base.running}, host streams ${base.streams}, sessions ${base.sessions}, resources ${JSON.stringify(base.resources)}`);

  // ------------------------------------------------------------- churn
  setPhase(`load: ${concurrency} calls in flight with churn for ${churnMs / 1000} s`);
  host.counters.streamsPeak = host.counters.streamsOpen;
  runningPeak = running;
  const start = Date.now();
  const churnEnd = start + churnMs;
  const slots = Array.from({ length: concurrency }, async () => {
    while (Date.now() < churnEnd) await oneCall();
  });
  const ticker = setInterval(() => report.line(`… ${Math.round((Date.now() - start) / 1000)} s: ${tally.started} calls started, ${settled} settled, host streams ${host.counters.streamsOpen}, handlers ${running}`), 5000);
  const allSettled = Promise.all(slots);
  await waiting("load: the churn period", sleep(churnMs));
  const drained = await pollUntil(() => settled === tally.started, 30_000, "load: calls in flight at the end of the churn to settle", 100);
  clearInterval(ticker);
  const elapsed = (Date.now() - start) / 1000;
  const hung = tally.started - settled;

  // --------------------------------------------------- back to baseline
  setPhase("load: back to baseline");
  // Most calls let go of the host at once. A pair whose guest gave up before the down's headers reached it
  // (so it never had the id to say so) cannot be told from one whose guest will resume: it waits out its up
  // or resume timeout, handler running. The bound is the host's own, plus slack; a true leak never ends.
  const quickly = await pollUntil(() => running === 0 && host.counters.streamsOpen === 0, 5000, "load: handlers and streams to end", 50);
  const lingering = quickly === undefined ? `${running} handler(s) (${runningNames()}) and ${host.counters.streamsOpen} stream(s) still open 5 s after` : undefined;
  const releasedMs = quickly ?? (await pollUntil(() => running === 0 && host.counters.streamsOpen === 0, RELEASE_BOUND_MS - 5000, "load: handlers and streams to end", 50).then((ms) => (ms === undefined ? undefined : ms + 5000)));
  await sleep(500);
  const after = {
    resources: activeResources(),
    fds: openFds(),
    heap: await settledHeap(),
    spaces: heapSpaces(),
  };
  const grown = Object.entries(after.resources).filter(([type, n]) => n > (base.resources[type] ?? 0) + RESOURCE_SLACK);
  const sessionsDuring = host.counters.sessionsTotal - base.sessionsTotal;

  report.figure("churn", `${concurrency} calls in flight for ${churnMs / 1000} s: ${tally.started} calls in ${elapsed.toFixed(1)} s (${Math.round(tally.started / elapsed)}/s)`);
  report.figure("outcomes", `${tally.ok} ok, ${tally.stoppedReading} stopped reading (flood), ${tally.canceledAsAsked} canceled by the harness as asked, ${unexpected.total} failed unexpectedly (${unexpected.summary()}), ${cancelFailures.total} canceled calls that failed otherwise (${cancelFailures.summary()}), ${tally.wrong} with wrong replies, ${hung} unsettled 30 s after the churn`);
  for (const m of [...unexpected.messages(), ...cancelFailures.messages()]) report.figure("failure", m);
  report.figure("peaks", `host streams ${host.counters.streamsPeak}, handlers running ${runningPeak}, host sessions opened during the load ${sessionsDuring} (open now ${host.counters.sessionsOpen})`);
  if (lingering) report.figure("lingering", `${lingering} the calls settled; all released ${releasedMs === undefined ? `not within ${RELEASE_BOUND_MS / 1000} s` : `after ${releasedMs} ms`}`);
  report.figure("after", `handlers running ${running} (${runningNames()}), host streams open ${host.counters.streamsOpen}${releasedMs === undefined ? ` (not within ${RELEASE_BOUND_MS / 1000} s)` : ` (${releasedMs} ms after the calls settled)`}, fds ${base.fds}→${after.fds}, heap ${mib(base.heap)}→${mib(after.heap)}`);
  report.figure("heap spaces grown", spaceDiff(base.spaces, after.spaces));
  report.figure("resources changed", resourceDiff(base.resources, after.resources).join(", ") || "none");

  report.check(`load: ${concurrency} concurrent calls over one gateway with churn all complete (only calls the harness canceled fail, as canceled)`,
    unexpected.total === 0 && cancelFailures.total === 0 && tally.wrong === 0 && hung === 0,
    `${tally.started} calls: ${unexpected.total} failed unexpectedly (${unexpected.summary()}), ${cancelFailures.total} canceled calls failed otherwise, ${tally.wrong} wrong, ${hung} unsettled`);
  report.check("load: every call settles within 30 s after the churn ends", drained !== undefined && hung === 0, `${hung} of ${tally.started} unsettled`);
  report.check(`load: within ${RELEASE_BOUND_MS / 1000} s after the end (the longer of the pair's up and resume timeouts, plus 2 s), handlers running = 0 and host streams open = 0`, releasedMs !== undefined,
    `handlers running ${running} (${runningNames()}), streams open ${host.counters.streamsOpen}`);
  report.check(`load: active resources back to baseline (each type ≤ +${RESOURCE_SLACK})`, grown.length === 0,
    grown.length ? grown.map(([type, n]) => `${type} ${base.resources[type] ?? 0}→${n}`).join(", ") : `unchanged beyond slack (${resourceDiff(base.resources, after.resources).join(", ") || "identical"})`);
  report.check(`load: heap back within baseline + ${mib(HEAP_SLACK)}`, after.heap - base.heap <= HEAP_SLACK,
    `${mib(base.heap)} → ${mib(after.heap)} (${after.heap >= base.heap ? "+" : ""}${mib(after.heap - base.heap)})`);
  await Promise.race([allSettled, sleep(1000)]);
  // Once more 10 s later: what is still there is kept, not garbage in waiting.
  await waiting("load: 10 s before the second heap measurement", sleep(10_000));
  const later = await settledHeap();
  if (process.env.FAULTS_HEAPSNAP) v8.writeHeapSnapshot(path.join(process.env.FAULTS_HEAPSNAP, "load-after.heapsnapshot"));
  report.figure("heap 10 s later", `${mib(later)} (${later >= base.heap ? "+" : ""}${mib(later - base.heap)} over the baseline); spaces grown: ${spaceDiff(base.spaces, heapSpaces())}`);

  // ------------------------------------------------------------ burst
  setPhase(`load: ${burst} server-stream calls started at once`);
  const burstGuest = await guestFetch(host.url);
  const burstClient = createEchoClient(connectGateway(host.url, { fetch: burstGuest.fetch }));
  const sessionsBefore = host.counters.sessionsTotal;
  const burstFailures = new FailureTally();
  let burstOk = 0;
  let burstSettled = 0;
  const burstStart = Date.now();
  const burstAbort = new AbortController();
  setMaxListeners(burst + 10, burstAbort.signal); // one listener per call on the harness's own signal
  host.counters.streamsPeak = host.counters.streamsOpen;
  for (let i = 0; i < burst; i++) {
    void (async () => {
      try {
        let got = 0;
        for await (const r of burstClient.repeat({ text: `b${i}`, repeat: 3, failWith: 0, delayMs: 0 }, { headers, signal: burstAbort.signal })) {
          if (r.index === got && r.text === `b${i}`) got++;
        }
        if (got === 3) burstOk++;
        else burstFailures.add(new Error(`${got} of 3 replies`));
      } catch (error) {
        burstFailures.add(error);
      } finally {
        burstSettled++;
      }
    })();
  }
  const burstBound = 40_000;
  await pollUntil(() => burstSettled === burst, burstBound, `load: ${burst} burst calls to settle`, 100);
  const burstMs = Date.now() - burstStart;
  const burstUnsettled = burst - burstSettled;
  burstAbort.abort(new StreampathError(Code.Canceled, "harness: burst over"));
  await pollUntil(() => burstSettled === burst, 5000, "load: burst calls to end once canceled");
  report.figure("burst", `${burst} Repeat calls at once: ${burstOk} ok, ${burstFailures.total} failed (${burstFailures.summary()}), ${burstUnsettled} unsettled after ${burstBound / 1000} s; ${burstMs} ms; peak host streams ${host.counters.streamsPeak}; host sessions opened ${host.counters.sessionsTotal - sessionsBefore}`);
  for (const m of burstFailures.messages()) report.figure("burst failure", m);
  report.check(`load: ${burst} server-stream calls started at once over one connection all complete`, burstOk === burst,
    `${burstOk} of ${burst} ok; failed: ${burstFailures.summary()}; unsettled ${burstUnsettled}; ${burstFailures.messages().slice(0, 2).join(" | ")}`);
  const burstReleased = await pollUntil(() => running === 0 && host.counters.streamsOpen === 0, 15_000, "load: burst handlers and streams to end");
  report.figure("after burst", `handlers running ${running}, host streams ${host.counters.streamsOpen}${burstReleased === undefined ? " (not within 15 s)" : ` (${burstReleased} ms)`}`);

  setPhase("load: closing");
  await closeAll(report, "load", [["guest fetch", () => guest.close()], ["burst guest fetch", () => burstGuest.close()], ["host", () => host.close()]]);
}

/** Used bytes of each V8 heap space. */
function heapSpaces(): Record<string, number> {
  return Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
}

function spaceDiff(a: Record<string, number>, b: Record<string, number>): string {
  const grown = Object.keys(b).filter((k) => Math.abs(b[k]! - (a[k] ?? 0)) >= 512 * 1024);
  return grown.map((k) => `${k} ${b[k]! >= (a[k] ?? 0) ? "+" : ""}${mib(b[k]! - (a[k] ?? 0))}`).join(", ") || "none by 0.5 MiB or more";
}

/** Events 1..n, each after `delayMs` if given. */
async function* events(n: number, delayMs = 0): AsyncGenerator<Event> {
  for (let seq = 1; seq <= n; seq++) {
    if (delayMs) await sleep(delayMs);
    yield { seq: BigInt(seq), payload: new Uint8Array([seq & 0xff]) };
  }
}
