/**
 * The pair's heartbeat: a down stream with nothing to say gets an empty
 * control, so the guest can tell silence from a dead connection.
 */

/** What the timer ticks: a pair (PairCall.beat). */
export interface Beating {
  /** Speaks if nothing went down for `silentMs` (milliseconds, against `now` from performance.now()). */
  beat(now: number, silentMs: number): void;
}

/**
 * Heartbeats for every pair of a gateway on one timer, not an interval per
 * pair (its Timeout and closure are some 200 bytes of each idle pair). It
 * ticks at a quarter of the promise and a pair speaks after three quarters
 * of silence, so the longest silence is `ms`, as streampath-heartbeat says.
 */
export class Heartbeats {
  private readonly pairs = new Set<Beating>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tickMs: number;

  constructor(private readonly ms: number) {
    this.tickMs = Math.max(1, Math.floor(ms / 4));
  }

  /** Starts beating for `pair`; false if heartbeats are off (ms 0). */
  add(pair: Beating): boolean {
    if (!(this.ms > 0)) return false;
    this.pairs.add(pair);
    if (this.timer === undefined) {
      this.timer = setInterval(this.tick, this.tickMs);
      this.timer.unref();
    }
    return true;
  }

  delete(pair: Beating): void {
    if (!this.pairs.delete(pair) || this.pairs.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    const now = performance.now();
    for (const pair of this.pairs) pair.beat(now, this.ms - this.tickMs);
  };
}
