import type { JobProgress } from '../../contract/jobs';

export type { JobProgress };

/**
 * Counts finished items and derives rate and ETA. The rate is measured over a sliding window
 * (default 10 s) so a slow start (model loading, cold caches) does not distort the ETA for long.
 */
export class ProgressTracker {
  private readonly started = performance.now();
  private readonly window: { t: number; n: number }[] = [];
  private state = { total: null as number | null, done: 0, failed: 0, skipped: 0, current: undefined as string | undefined };

  constructor(private readonly windowSeconds = 10) {}

  setTotal(total: number | null): void {
    this.state.total = total;
  }

  skip(count = 1): void {
    this.state.skipped += count;
  }

  finish(item: string, ok: boolean): void {
    if (ok) this.state.done += 1;
    else this.state.failed += 1;
    this.state.current = item;
    const now = performance.now();
    this.window.push({ t: now, n: this.state.done + this.state.failed });
    while (this.window.length > 2 && now - this.window[0].t > this.windowSeconds * 1000) this.window.shift();
  }

  snapshot(): JobProgress {
    const now = performance.now();
    const elapsedSeconds = (now - this.started) / 1000;
    const processed = this.state.done + this.state.failed;
    let rate = 0;
    if (this.window.length >= 2) {
      const first = this.window[0];
      const span = (now - first.t) / 1000;
      rate = span > 0 ? (processed - first.n) / span : 0;
    } else if (processed > 0 && elapsedSeconds > 0) {
      rate = processed / elapsedSeconds;
    }
    const remaining = this.state.total === null ? null : Math.max(0, this.state.total - processed - this.state.skipped);
    const etaSeconds = remaining === null || rate <= 0 ? null : remaining / rate;
    return { ...this.state, rate, etaSeconds, elapsedSeconds };
  }
}
