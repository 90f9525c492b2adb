/**
 * Deadlines: the timeout headers of both protocols, and the call signal that
 * fires at the deadline or with its parent, and is released without a trace.
 */
import { getEventListeners } from "node:events";
import test from "ava";
import { deadlineSignal, formatGrpcTimeout, parseConnectTimeout, parseGrpcTimeout } from "../runtime/core/deadline.js";
import { Code, StreampathError } from "../runtime/core/error.js";
import { Rng, seedFor, seedInfo } from "./helpers/random-message.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the signal's reason once it aborts, or "timeout" after `ms`. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

test("parseGrpcTimeout: every unit, rounded up to whole milliseconds", (t) => {
  const cases: [string, number][] = [
    ["1H", 3_600_000],
    ["5M", 300_000],
    ["30S", 30_000],
    ["100m", 100],
    ["1000u", 1],
    ["1000000n", 1],
    ["1u", 1],
    ["1001u", 2],
    ["1n", 1],
    ["0m", 0],
    ["0n", 0],
    ["00000010S", 10_000],
    ["99999999n", 100],
    ["99999999H", 99_999_999 * 3_600_000],
  ];
  for (const [value, ms] of cases) t.is(parseGrpcTimeout(value), ms, value);
});

test("parseGrpcTimeout refuses anything else with InvalidArgument", (t) => {
  const invalid = [
    "",
    "1",
    "S",
    "123456789m",
    "1h",
    "1s",
    "-1S",
    "+1S",
    "1.5S",
    " 1S",
    "1S ",
    "1e3m",
    "1 S",
    "٣S",
    "1SS",
    "0x10m",
  ];
  for (const value of invalid) {
    const error = t.throws(() => parseGrpcTimeout(value), { instanceOf: StreampathError }, JSON.stringify(value));
    t.is(error?.code, Code.InvalidArgument);
  }
  const long = t.throws(() => parseGrpcTimeout("9".repeat(1000)), { instanceOf: StreampathError });
  t.true((long?.message.length ?? Infinity) < 100, "a long value is cut short in the message");
});

test("formatGrpcTimeout: the coarsest exact unit within 8 digits", (t) => {
  const cases: [number, string][] = [
    [3_600_000, "1H"],
    [7 * 24 * 3_600_000, "168H"],
    [300_000, "5M"],
    [90_000, "90S"],
    [30_000, "30S"],
    [100, "100m"],
    [1, "1m"],
    [1_001, "1001m"],
    [99_999_999, "99999999m"],
    [100_000_000, "100000S"],
    [1.5, "1500u"],
    [0.5, "500u"],
    [0.0015, "1500n"],
    [0, "0n"],
    [-20, "0n"],
  ];
  for (const [ms, value] of cases) t.is(formatGrpcTimeout(ms), value, String(ms));
});

test("formatGrpcTimeout: not exact within 8 digits rounds up in the finest unit that fits", (t) => {
  t.is(formatGrpcTimeout(123_456_789), "123457S");
  t.is(formatGrpcTimeout(123.4567891), "123457u");
  t.is(formatGrpcTimeout(1e20), "99999999H", "capped");
  for (const ms of [Number.NaN, Infinity, -Infinity]) {
    t.is(t.throws(() => formatGrpcTimeout(ms), { instanceOf: StreampathError })?.code, Code.InvalidArgument);
  }
});

test("formatGrpcTimeout round-trips through parseGrpcTimeout, never early", (t) => {
  const label = "grpc-timeout round trip";
  const r = new Rng(seedFor(label));
  for (let i = 0; i < 2000; i++) {
    const ms = r.chance(0.5) ? r.below(100_000_000) : r.below(2 ** 31) * r.pick([1, 1000, 60_000]);
    const value = formatGrpcTimeout(ms);
    t.true(/^\d{1,8}[HMSmun]$/.test(value), `${value} ${seedInfo(label, i)}`);
    const back = parseGrpcTimeout(value);
    if (ms <= 99_999_999) t.is(back, ms, `${ms} → ${value} ${seedInfo(label, i)}`);
    else t.true(back >= ms && back - ms < 3_600_000, `${ms} → ${value} ${seedInfo(label, i)}`);
  }
});

test("parseConnectTimeout: up to 10 digits of milliseconds", (t) => {
  t.is(parseConnectTimeout("0"), 0);
  t.is(parseConnectTimeout("1500"), 1500);
  t.is(parseConnectTimeout("0000000001"), 1);
  t.is(parseConnectTimeout("9999999999"), 9_999_999_999);
  for (const value of ["", "12345678901", "-1", "+1", "1.5", "1e3", " 1", "1 ", "1m", "٣"]) {
    const error = t.throws(() => parseConnectTimeout(value), { instanceOf: StreampathError }, JSON.stringify(value));
    t.is(error?.code, Code.InvalidArgument);
  }
});

test("deadlineSignal aborts with DeadlineExceeded after the timeout", async (t) => {
  const parent = new AbortController();
  const deadline = deadlineSignal(20, parent.signal);
  const { signal } = deadline;
  t.false(signal.aborted);
  t.is(getEventListeners(parent.signal, "abort").length, 1);
  const reason = await abortedWithin(signal, 2000);
  t.true(reason instanceof StreampathError);
  t.is((reason as StreampathError).code, Code.DeadlineExceeded);
  t.is((reason as StreampathError).message, "deadline of 20ms exceeded");
  t.is(getEventListeners(parent.signal, "abort").length, 0, "firing detached it from the parent");
  deadline.dispose();
});

test("abort() aborts the signal with its reason and detaches it; after dispose() it does nothing", (t) => {
  const parent = new AbortController();
  const call = deadlineSignal(1000, parent.signal);
  const reason = new StreampathError(Code.Canceled, "the client canceled the call");
  call.abort(reason);
  t.is(call.signal.reason, reason);
  t.is(getEventListeners(parent.signal, "abort").length, 0, "detached from the parent");
  call.abort(new StreampathError(Code.Internal, "later")); // the first reason stays
  t.is(call.signal.reason, reason);
  const done = deadlineSignal(1000, parent.signal);
  done.dispose();
  done.abort(reason);
  t.false(done.signal.aborted, "a disposed call is over: aborting it changes nothing");
});

test("a disposed deadline never fires and leaves no listener on its parent", async (t) => {
  const parent = new AbortController();
  const deadlines = Array.from({ length: 100 }, () => deadlineSignal(5, parent.signal));
  t.is(getEventListeners(parent.signal, "abort").length, 1, "one listener however many calls share a parent");
  for (const d of deadlines.slice(1)) d.dispose();
  t.is(getEventListeners(parent.signal, "abort").length, 1, "still watched for the last one");
  deadlines[0].dispose();
  t.is(getEventListeners(parent.signal, "abort").length, 0);
  await sleep(30);
  t.true(
    deadlines.every((d) => !d.signal.aborted),
    "no timer fired",
  );
  parent.abort();
  t.true(
    deadlines.every((d) => !d.signal.aborted),
    "nor the parent",
  );
  deadlines[0].dispose(); // idempotent
});

test("a parent shared by many calls aborts each of them once", (t) => {
  const parent = new AbortController();
  const calls = Array.from({ length: 50 }, () => deadlineSignal(1000, parent.signal));
  calls[7].dispose();
  let fired = 0;
  for (const c of calls) c.signal.addEventListener("abort", () => fired++);
  parent.abort(new StreampathError(Code.Unavailable, "draining"));
  t.is(fired, 49, "all but the disposed one");
  t.false(calls[7].signal.aborted);
  t.is(getEventListeners(parent.signal, "abort").length, 0);
  const late = deadlineSignal(1000, parent.signal);
  t.is(late.signal.reason.code, Code.Unavailable, "a call started after the abort is aborted at once");
  for (const c of calls) c.dispose();
});

test("the parent's abort reason becomes a StreampathError", async (t) => {
  const reasons: [unknown, Code][] = [
    [undefined, Code.Canceled], // abort() with no reason: an AbortError DOMException
    [new DOMException("user left", "AbortError"), Code.Canceled],
    [new DOMException("too slow", "TimeoutError"), Code.DeadlineExceeded],
    [new Error("shutting down"), Code.Canceled],
    [new StreampathError(Code.Unavailable, "draining"), Code.Unavailable],
  ];
  for (const [given, code] of reasons) {
    const parent = new AbortController();
    const deadline = deadlineSignal(undefined, parent.signal);
    const { signal } = deadline;
    parent.abort(given);
    t.true(signal.aborted);
    t.true(signal.reason instanceof StreampathError);
    t.is(signal.reason.code, code, String(given));
    if (given instanceof StreampathError) t.is(signal.reason, given, "kept as it is");
    t.is(getEventListeners(parent.signal, "abort").length, 0);
    deadline.dispose();
  }
});

test("an already aborted parent or a spent timeout aborts at once", (t) => {
  const parent = new AbortController();
  parent.abort();
  const fromParent = deadlineSignal(1000, parent.signal);
  t.true(fromParent.signal.aborted);
  t.is(fromParent.signal.reason.code, Code.Canceled);
  t.is(getEventListeners(parent.signal, "abort").length, 0);

  for (const ms of [0, -5]) {
    const spent = deadlineSignal(ms);
    t.true(spent.signal.aborted, String(ms));
    t.is(spent.signal.reason.code, Code.DeadlineExceeded);
  }
  t.is(t.throws(() => deadlineSignal(Number.NaN), { instanceOf: StreampathError })?.code, Code.InvalidArgument);
});

test("no timeout, or one past setTimeout's range, does not fire early", async (t) => {
  const none = deadlineSignal(undefined);
  const infinite = deadlineSignal(Infinity);
  const long = deadlineSignal(2 ** 31 + 1000); // setTimeout alone would fire this at once
  await sleep(20);
  t.false(none.signal.aborted);
  t.false(infinite.signal.aborted);
  t.false(long.signal.aborted);
  none.dispose();
  infinite.dispose();
  long.dispose();
});

test("deadlineSignal with several parents: the first to abort gives its reason; dispose leaves no listener on any", (t) => {
  const host = new AbortController(); // long-lived, shared by every call
  const calls = Array.from({ length: 200 }, () => {
    const own = new AbortController();
    return { own, deadline: deadlineSignal(undefined, [own.signal, host.signal]) };
  });
  t.is(getEventListeners(host.signal, "abort").length, 1, "one listener on the shared parent, however many calls");
  calls[0]!.own.abort(new StreampathError(Code.Unavailable, "this one went"));
  t.true(calls[0]!.deadline.signal.aborted);
  t.is((calls[0]!.deadline.signal.reason as StreampathError).code, Code.Unavailable);
  t.false(calls[1]!.deadline.signal.aborted, "the others go on");
  for (const { deadline } of calls) deadline.dispose();
  t.is(getEventListeners(host.signal, "abort").length, 0, "released at dispose, not at collection");
  for (const { own } of calls.slice(1)) t.is(getEventListeners(own.signal, "abort").length, 0);

  const late = deadlineSignal(undefined, [new AbortController().signal, host.signal]);
  host.abort("shutting down");
  t.is((late.signal.reason as StreampathError).code, Code.Canceled, "a plain reason is a cancellation");
  const already = deadlineSignal(1000, [new AbortController().signal, host.signal]);
  t.true(already.signal.aborted, "a parent already aborted aborts it at once");
});
