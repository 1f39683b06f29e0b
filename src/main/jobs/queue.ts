/**
 * A bounded async queue between pipeline stages: producers wait when it is full (so decoded
 * pixels never pile up in memory faster than the model consumes them), consumers wait when it
 * is empty, and `close()` lets consumers drain what is left and then stop.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly waitingTakers: ((v: IteratorResult<T>) => void)[] = [];
  private readonly waitingPutters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('queue capacity must be at least 1');
  }

  get size(): number {
    return this.items.length;
  }

  async put(item: T): Promise<void> {
    if (this.closed) throw new Error('queue is closed');
    const taker = this.waitingTakers.shift();
    if (taker) {
      taker({ value: item, done: false });
      return;
    }
    while (this.items.length >= this.capacity) await new Promise<void>((r) => this.waitingPutters.push(r));
    this.items.push(item);
  }

  /** Next item, or done once the queue is closed and empty. */
  take(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.waitingPutters.shift()?.();
      return Promise.resolve({ value: item, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => this.waitingTakers.push(r));
  }

  /** Everything available right now, up to `max`, without waiting. */
  drain(max: number): T[] {
    const out = this.items.splice(0, max);
    for (let i = 0; i < out.length; i++) this.waitingPutters.shift()?.();
    return out;
  }

  close(): void {
    this.closed = true;
    for (const t of this.waitingTakers.splice(0)) t({ value: undefined, done: true });
  }
}
