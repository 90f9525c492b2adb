/**
 * A counting semaphore. The gateway bounds its pairs that are joining (a
 * down sent, its up not yet confirmed by the host): browsers carry every
 * request of an origin on one HTTP/2 connection with a bounded number of
 * streams, and a down holds one until its up arrives, so unbounded joining
 * lets downs take every slot their ups need and all of them wait for ever.
 * The host bounds the messages it inflates at once (compression.ts).
 */
export class Slots {
  private free: number;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new TypeError(`slots must be a positive integer, got ${size}`);
    this.free = size;
  }

  /** Resolves with a release function (idempotent) once a slot is free; rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        let held = true;
        resolve(() => {
          if (!held) return;
          held = false;
          this.release();
        });
      };
      const onAbort = () => {
        const at = this.waiting.findIndex((w) => w.grant === grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      if (this.free > 0) {
        this.free--;
        return grant();
      }
      this.waiting.push({ grant });
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.free++;
  }
}
