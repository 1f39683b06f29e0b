// The renderer's only door to the main process. In Electron the preload exposes the contract as
// `window.provenance`; in plain Chromium (served by the test server) the same contract is spoken
// over HTTP, so one built renderer runs in both.
import type { Channel, EventName, Events, IpcError, IpcResult, ProvenanceApi, Request, Responses } from '../../contract/ipc';
import { httpMediaUrl, type MediaRef } from '../../contract/media';

/** A `{ ok: false }` answer turned into something a view can catch and show. */
export class ApiError extends Error {
  readonly code: IpcError['code'];
  readonly channel: Channel;

  constructor(channel: Channel, error: IpcError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.channel = channel;
  }
}

/** The message to show for anything a call threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The test server's per-run token, from the address it printed (`/?token=...`). Every API call
 * sends it in a header; media and event URLs, which the browser fetches by itself, carry it in
 * the query.
 */
function serverToken(): string {
  return typeof location === 'undefined' ? '' : (new URLSearchParams(location.search).get('token') ?? '');
}

/**
 * ProvenanceApi over HTTP: `POST /api/<channel>` answers an IpcResult (always HTTP 200 when the
 * server is healthy), `GET /events` streams events as SSE, media under `/media/` (contract/media.ts).
 */
export function createHttpApi(base = '', token = serverToken()): ProvenanceApi {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let source: EventSource | null = null;
  const withToken = (url: string) => `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

  function subscribeSource(event: EventName): void {
    source ??= new EventSource(withToken(`${base}/events`));
    source.addEventListener(event, (message) => {
      let payload: unknown;
      try {
        payload = JSON.parse((message as MessageEvent<string>).data);
      } catch {
        console.error(`Ignoring a malformed "${event}" event`, (message as MessageEvent<string>).data);
        return;
      }
      for (const listener of listeners.get(event) ?? []) (listener as (p: unknown) => void)(payload);
    });
  }

  return {
    async invoke<C extends Channel>(channel: C, request: Request<C>): Promise<IpcResult<C>> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-provenance-token': token },
          body: JSON.stringify(request ?? {}),
        });
      } catch (err) {
        return { ok: false, error: { code: 'FAILED', message: `The app's back end did not answer ${channel}: ${errorMessage(err)}` } };
      }
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        return { ok: false, error: { code: 'FAILED', message: `${channel} failed with HTTP ${response.status}${text ? `: ${text.slice(0, 300)}` : ''}` } };
      }
      return (await response.json()) as IpcResult<C>;
    },

    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        subscribeSource(event);
      }
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },

    mediaUrl(ref: MediaRef): string {
      return httpMediaUrl(base, ref, token);
    },
  };
}

export const api: ProvenanceApi = typeof window !== 'undefined' && window.provenance ? window.provenance : createHttpApi();

/** Invokes a channel and returns its value; a `{ ok: false }` answer throws an ApiError. */
export async function call<C extends Channel>(channel: C, request: Request<C>): Promise<Responses[C]> {
  const result = await api.invoke(channel, request);
  if (!result.ok) throw new ApiError(channel, result.error);
  return result.value;
}

/** The URL of an image (original, thumbnail, heatmap, evaluation item) in this shell. */
export function mediaUrl(ref: MediaRef): string {
  return api.mediaUrl(ref);
}

export function onEvent<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
  return api.on(event, listener);
}
