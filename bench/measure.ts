// Measuring on a shared machine: process CPU time (user + sys, every thread of the process,
// workers included) next to wall time, repeated, reported as median and spread, with the load
// average sampled while it ran. CPU time stays within about ±10% when other programs compete for
// the cores; wall time can swing 3-5x, so goals are judged on CPU time and wall time is shown.
import { loadavg } from 'node:os';

export interface Sample {
  cpuMs: number;
  wallMs: number;
}

export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU and wall time of `fn`, each divided by `per` (e.g. the number of images). */
export async function measure(fn: () => Promise<unknown> | unknown, per = 1): Promise<Sample> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await fn();
  return { cpuMs: (cpuMs() - c0) / per, wallMs: (performance.now() - t0) / per };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** "123 (110–140)": median and range. */
export function fmt(s: Spread, digits = 0): string {
  const f = (v: number) => v.toFixed(digits);
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** Samples the 1-minute load average every second while something runs. */
export class LoadSampler {
  private readonly values: number[] = [loadavg()[0]!];
  private readonly timer = setInterval(() => this.values.push(loadavg()[0]!), 1000).unref();

  stop(): Spread {
    clearInterval(this.timer);
    this.values.push(loadavg()[0]!);
    return spread(this.values);
  }
}

/** One line of the goal table. */
export interface GoalRow {
  goal: string;
  measurement: string;
  value: string;
  target: string;
  met: boolean | null;
  cpu: string;
  wall: string;
  load: string;
}
