/**
 * One in-realm call: the handler is called directly with the caller's
 * messages (no encoding, no copy), and each side pulls from the other, so
 * back-pressure is the plain one of async iteration. The call's signal —
 * the caller's signal and deadline, the caller stopping, the registry
 * closing — reaches the handler's context and ends a wait on either side.
 */
import type { CallOptions } from "./client.js";
import { type DeadlineSignal, deadlineSignal } from "./deadline.js";
import { Code, StreampathError } from "./error.js";
import type { MethodDescriptor } from "./service.js";
import type { RealmContext } from "./realm.js";

export type Handlers = { readonly [name: string]: (...args: any[]) => unknown };

/**
 * Marks an async iterable whose pending `next()` settles as soon as its
 * `return()` is called (the bridge's inbox does). A handler reading such
 * requests needs no abortable wait per message: ending the call returns the
 * source, which ends the read. Anything else (a caller's generator may be
 * stuck in an await) is read through one.
 */
export const settlesOnReturn: unique symbol = Symbol("streampath.settlesOnReturn");

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class LocalCall<I, O> implements AsyncIterableIterator<O> {
  private readonly cancel = new AbortController();
  private readonly signal: AbortSignal;
  private readonly deadline: DeadlineSignal;
  /** Every wait goes through it, so an abort ends it even if the other side hangs. */
  private readonly abortable: Abortable;
  private readonly requests: Guarded<I>;
  private readonly context: RealmContext;
  private responses: Promise<AsyncIterator<O>> | undefined;
  private finished = false;

  constructor(
    /** Where the handler runs (`worker`, `view`): its context says so. */
    realm: string,
    private readonly method: MethodDescriptor<I, O>,
    private readonly name: string,
    private readonly handlers: () => Handlers,
    requests: AsyncIterable<I>,
    options: CallOptions,
    closed: AbortSignal,
  ) {
    const parents = [this.cancel.signal, closed, ...(options.signal ? [options.signal] : [])];
    const deadline = deadlineSignal(options.timeoutMs, parents);
    this.signal = deadline.signal;
    this.deadline = deadline;
    this.abortable = new Abortable(this.signal);
    // However it aborts (caller's signal, deadline, registry closed), the call ends then, waits or not.
    this.signal.addEventListener("abort", () => this.finished || this.end(this.abortable.reason()), { once: true });
    this.requests = new Guarded(requests, this.abortable);
    this.context = {
      realm,
      signal: this.signal,
      deadline: options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs,
      requestHeaders: { ...options.headers },
      responseHeaders: {},
      responseTrailers: {},
      method,
    };
    this.onHeaders = options.onHeaders;
    this.onTrailers = options.onTrailers;
  }

  next(): Promise<IteratorResult<O>> {
    if (this.finished) return Promise.resolve(DONE);
    if (this.signal.aborted) return this.fail(this.signal.reason);
    const step = this.iterator
      ? this.iterator.next()
      : (this.responses ??= this.start()).then((responses) => (this.iterator = responses).next());
    return this.abortable.wait(step, this.settled, this.failed);
  }

  /** The handler's iterator, once started: later reads go straight to it. */
  private iterator: AsyncIterator<O> | undefined;

  private readonly settled = (result: IteratorResult<O>): IteratorResult<O> => {
    this.sendHeaders();
    if (result.done) {
      this.sendTrailers();
      this.end(new StreampathError(Code.Canceled, "the call ended"));
    }
    return result;
  };

  /** The caller's metadata callbacks, each called once: headers before the first response, trailers at the end. */
  private onHeaders: CallOptions["onHeaders"];
  private onTrailers: CallOptions["onTrailers"];

  private sendHeaders(): void {
    const onHeaders = this.onHeaders;
    this.onHeaders = undefined;
    onHeaders?.({ ...this.context.responseHeaders });
  }

  private sendTrailers(): void {
    const onTrailers = this.onTrailers;
    this.onTrailers = undefined;
    onTrailers?.({ ...this.context.responseTrailers });
  }

  private readonly failed = (error: unknown): Promise<never> => this.fail(error);

  /** The caller stopped reading: the handler is told, through its signal and its iterator's return(). */
  return(): Promise<IteratorResult<O>> {
    if (!this.finished) this.end(new StreampathError(Code.Canceled, "the caller stopped reading"));
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<O> {
    return this;
  }

  private async start(): Promise<AsyncIterator<O>> {
    // A microtask later: a factory calling a service built after it finds it built.
    await undefined;
    const handlers = this.handlers();
    const handler = (input: unknown) => handlers[this.name]!.call(handlers, input, this.context);
    switch (this.method.kind) {
      case "unary":
        return one((await handler(await single(this.requests, this.method))) as O);
      case "server_streaming":
        return (handler(await single(this.requests, this.method)) as AsyncIterable<O>)[Symbol.asyncIterator]();
      case "client_streaming":
        return one((await handler(this.requests)) as O);
      case "bidi_streaming":
        return (handler(this.requests) as AsyncIterable<O>)[Symbol.asyncIterator]();
    }
  }

  private fail(error: unknown): Promise<never> {
    const reason = StreampathError.from(error);
    if (!this.finished) {
      // A failing handler's metadata still reaches the caller, as a host's does with its status.
      this.sendHeaders();
      this.sendTrailers();
      this.end(reason);
    }
    return Promise.reject(reason);
  }

  private end(reason: StreampathError): void {
    this.finished = true;
    this.cancel.abort(reason);
    this.deadline.dispose();
    // Ends an unfinished handler (its finally blocks run) without waiting on it: it may be stuck.
    void this.responses?.then((responses) => responses.return?.()).catch(() => undefined);
    this.requests.stop();
  }
}

/** The caller's requests as the handler reads them: the same messages, but a wait ends when the call aborts. */
class Guarded<T> implements AsyncIterableIterator<T> {
  private source: AsyncIterator<T> | undefined;
  private done = false;

  constructor(
    private readonly iterable: AsyncIterable<T>,
    private readonly abortable: Abortable,
  ) {}

  next(): Promise<IteratorResult<T>> {
    if (this.done) return Promise.resolve(DONE);
    if (this.abortable.signal.aborted) return Promise.reject(this.abortable.reason());
    this.source ??= this.iterable[Symbol.asyncIterator]();
    if ((this.source as { [settlesOnReturn]?: boolean })[settlesOnReturn] === true) return this.source.next();
    return this.abortable.wait(this.source.next(), this.settled);
  }

  private readonly settled = (result: IteratorResult<T>): IteratorResult<T> => {
    if (result.done) this.done = true;
    return result;
  };

  return(): Promise<IteratorResult<T>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  /** Tells the caller's producer to finish, once, without waiting on it. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    void this.source?.return?.()?.catch?.(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/**
 * Waits that end with the abort reason when `signal` aborts. Not
 * Promise.race against one promise that rejects on abort: each race leaves
 * a reaction on that promise until it settles, which for a call that never
 * aborts is one per message, for as long as the call lasts (a million
 * messages grew the heap by 700 MiB). Here a wait's rejecter is dropped when
 * it settles.
 */
class Abortable {
  /** Rejecters of the waits pending: one or two at a time (a read on each side), so an array. */
  private readonly waiting: ((reason: unknown) => void)[] = [];

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener(
      "abort",
      () => {
        const reason = this.reason();
        for (const reject of this.waiting.splice(0)) reject(reason);
      },
      { once: true },
    );
  }

  reason(): StreampathError {
    return StreampathError.from(this.signal.reason, Code.Canceled);
  }

  /** Takes a wait off the pending list: false if the abort already ended it. */
  private release(reject: (reason: unknown) => void): boolean {
    const waiting = this.waiting;
    const at = waiting.lastIndexOf(reject);
    if (at < 0) return false;
    waiting[at] = waiting[waiting.length - 1]!;
    waiting.pop();
    return true;
  }

  /**
   * `promise`, mapped through `onValue` (and `onError`, if given), as one
   * promise that rejects with the abort reason if the call aborts first.
   * The mapping runs inside it: no further promise per wait.
   */
  wait<T, R>(promise: Promise<T>, onValue: (value: T) => R, onError?: (error: unknown) => R | Promise<R>): Promise<R> {
    if (this.signal.aborted) return Promise.reject(this.reason());
    return new Promise<R>((resolve, reject) => {
      this.waiting.push(reject);
      promise.then(
        (value) => {
          if (!this.release(reject)) return;
          try {
            resolve(onValue(value));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          if (!this.release(reject)) return;
          if (onError) resolve(onError(error));
          else reject(error);
        },
      );
    });
  }
}

/** The single request of a unary or server-streaming call. */
async function single<T>(requests: AsyncIterable<T>, method: MethodDescriptor): Promise<T> {
  let first: { value: T } | undefined;
  for await (const request of requests) {
    if (first) throw new StreampathError(Code.InvalidArgument, `${method.path} takes one request message, got more`);
    first = { value: request };
  }
  if (!first) throw new StreampathError(Code.InvalidArgument, `${method.path} takes one request message, got none`);
  return first.value;
}

/** The one response of a unary or client-streaming handler, as a stream. */
function one<T>(value: T): AsyncIterator<T> {
  let taken = false;
  return {
    next: () => Promise.resolve(taken ? DONE : ((taken = true), { done: false, value })),
  };
}
