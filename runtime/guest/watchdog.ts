/**
 * Fires once if it is not kicked within `ms`: how a guest tells a silent
 * connection (dead without an error) from a quiet one, given the host's
 * heartbeat. `ms` undefined: never fires.
 */
export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number | undefined,
    private readonly onSilence: (ms: number) => void,
  ) {}

  kick(): void {
    const ms = this.ms;
    if (ms === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onSilence(ms), ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
