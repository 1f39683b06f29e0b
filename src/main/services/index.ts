// AppServices: the main-process side of the IPC contract, shared by the Electron shell and the
// test server so both run the very same code. Each area has its own handler file; this one
// validates requests and turns thrown errors into error values.
import type { Channel, IpcError, IpcResult, ParsedRequest, Responses } from '../../contract/ipc';
import type { MediaRef } from '../../contract/media';
import { ConfigError } from '../config';
import { parseRequest } from '../../contract/ipc';
import { EvidenceError } from '../errors';
import { ModelUnavailableError } from '../inference/catalogue';
import type { EventBus } from '../jobs/events';
import { StoreError } from '../store';
import { VersionError } from '../training';
import { analysisHandlers } from './analyses';
import { appHandlers } from './app';
import { auditHandlers } from './audit';
import { caseHandlers, closeCurrentCase } from './cases';
import { AppContext, ServiceError, type AppServicesOptions } from './context';
import { evaluationHandlers } from './evaluation';
import { evidenceHandlers } from './evidence';
import { loadMedia, type MediaResponse } from './media';
import { ImportError } from '../pipeline/importIntoCase';
import { ReportError } from '../reports';
import { reportHandlers } from './report';
import { trainingHandlers } from './training';

export type { AppServicesOptions } from './context';
export { MEDIA_CACHE_CONTROL, type MediaResponse } from './media';

type Handlers = { [C in Channel]: (ctx: AppContext, req: ParsedRequest<C>) => Promise<Responses[C]> };

const handlers: Handlers = { ...appHandlers, ...caseHandlers, ...evidenceHandlers, ...analysisHandlers, ...auditHandlers, ...evaluationHandlers, ...reportHandlers, ...trainingHandlers };

export interface AppServices {
  /** Validates and runs one request; never throws: failures come back as `{ ok: false, error }`. */
  dispatch(channel: string, payload: unknown): Promise<IpcResult<Channel>>;
  /** The bytes behind a media URL (parsed with contract/media.ts), or why there are none; never throws. */
  media(ref: MediaRef): Promise<MediaResponse>;
  readonly events: EventBus;
  /** The shared state, for the shell and tests (e.g. to wait for a job). */
  readonly context: AppContext;
  close(): Promise<void>;
}

export function createAppServices(options: AppServicesOptions): AppServices {
  const ctx = new AppContext(options);
  return {
    events: ctx.events,
    context: ctx,
    async dispatch(channel, payload) {
      const parsed = parseRequest(channel, payload);
      if (!parsed.ok) return parsed;
      try {
        const handler = handlers[parsed.channel] as (ctx: AppContext, req: unknown) => Promise<Responses[Channel]>;
        return { ok: true, value: await handler(ctx, parsed.value) };
      } catch (err) {
        const error = toIpcError(err);
        // Expected refusals (no case, unknown id) are the user's to act on; anything else is ours.
        if (error.code === 'FAILED' && !(err instanceof ServiceError)) ctx.log.error(`${parsed.channel} failed: ${error.message}`, { error: err });
        else ctx.log.debug(`${parsed.channel} refused: ${error.message}`);
        return { ok: false, error };
      }
    },
    media: (ref) => loadMedia(ctx, ref),
    close: async () => {
      await closeCurrentCase(ctx);
      await ctx.jobs.cancelAll();
      await ctx.closeExiftool();
    },
  };
}

function toIpcError(err: unknown): IpcError {
  if (err instanceof ServiceError) return { code: err.code, message: err.message };
  if (err instanceof StoreError) return { code: err.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'FAILED', message: err.message };
  if (err instanceof ModelUnavailableError) return { code: err.reason === 'unknown' ? 'NOT_FOUND' : 'FAILED', message: err.message };
  if (err instanceof ImportError) return { code: 'NOT_FOUND', message: err.message };
  if (err instanceof ReportError) return { code: 'FAILED', message: err.message };
  if (err instanceof EvidenceError || err instanceof VersionError || err instanceof ConfigError) return { code: 'FAILED', message: err.message };
  return { code: 'FAILED', message: err instanceof Error ? err.message : String(err) };
}
