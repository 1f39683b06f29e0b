import { EventEmitter } from 'node:events';
import type { EventName, Events } from '../../contract/ipc';

/**
 * Main → renderer events. The engine publishes here; the Electron shell forwards to every
 * window and the test server to every Server-Sent-Events client.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  publish<E extends EventName>(event: E, payload: Events[E]): void {
    this.emitter.emit('event', event, payload);
  }

  /** Every event, in publish order; returns the unsubscribe function. */
  subscribe(listener: <E extends EventName>(event: E, payload: Events[E]) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
