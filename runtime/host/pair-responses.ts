/**
 * A pair's handler responses, pulled into its Outbox as the guest's credit
 * allows: one `next()` at a time, none while the credit is spent, so a
 * handler that produces faster than the guest reads waits (back-pressure).
 * Pulled by promise reactions on this object, not by an async function's
 * `for await`: an idle pair holds no suspended frame (bench:memory).
 */
import type { MessageCodec } from "../core/message.js";
import type { Outbox } from "../core/pair-window.js";

/** What the pull tells its pair. */
export interface ResponseSink {
  /** A response went into the Outbox: it is due to go down (BatchFlusher's `notify`). */
  notify(): void;
  /** The handler is done: it returned (`failed` false), or threw, or we failed on our side. */
  handlerEnded(caught: unknown, failed: boolean): void;
}

export class ResponsePull {
  private responses: AsyncIterator<unknown> | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly output: MessageCodec<unknown>,
    private readonly sink: ResponseSink,
  ) {}

  /** Pulls from what the handler returned (or will have returned, once the promise settles). */
  start(responses: AsyncIterable<unknown> | Promise<AsyncIterable<unknown>>): void {
    if (responses instanceof Promise) responses.then((iterable) => this.pullFrom(iterable), this.onHandlerError);
    else this.pullFrom(responses);
  }

  private pullFrom(iterable: AsyncIterable<unknown>): void {
    try {
      this.responses = iterable[Symbol.asyncIterator]();
    } catch (caught) {
      return this.sink.handlerEnded(caught, true);
    }
    this.pull();
  }

  private pull(): void {
    let next: Promise<IteratorResult<unknown>>;
    try {
      next = this.responses!.next();
    } catch (caught) {
      return this.sink.handlerEnded(caught, true);
    }
    next.then(this.onResponse, this.onHandlerError);
  }

  private readonly onResponse = (result: IteratorResult<unknown>): void => {
    if (result.done) return this.sink.handlerEnded(undefined, false);
    if (this.outbox.hasCredit) return this.add(result.value);
    this.outbox.credit().then(
      () => this.add(result.value),
      (caught: unknown) => this.stop(caught),
    );
  };

  private readonly onHandlerError = (caught: unknown): void => this.sink.handlerEnded(caught, true);

  private add(response: unknown): void {
    try {
      this.outbox.add(this.output, response);
      this.sink.notify();
    } catch (caught) {
      return this.stop(caught);
    }
    this.pull();
  }

  /** Failed on our side while the handler runs on (as `for await` would, it is told to return). */
  private stop(caught: unknown): void {
    try {
      void this.responses?.return?.()?.catch?.(() => undefined);
    } catch {
      // a handler whose return() throws has finished all the same
    }
    this.sink.handlerEnded(caught, true);
  }
}
