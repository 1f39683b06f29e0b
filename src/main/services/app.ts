import type { ExecutionProviderName } from '../../contract/evidence';
import type { ParsedRequest, Responses } from '../../contract/ipc';
import { availableProviders } from '../inference';
import { loadRegistryWithActiveVersions } from '../training';
import { SOFTWARE_VERSION } from '../version';
import { isAbsolute } from 'node:path';
import { ServiceError, type AppContext } from './context';

export const appHandlers = {
  'app.info': async (ctx: AppContext): Promise<Responses['app.info']> => ({
    name: 'Provenance Lab',
    version: SOFTWARE_VERSION,
    offline: true,
    shell: ctx.options.shell,
    providers: availableProviders() as ExecutionProviderName[],
  }),

  'models.list': async (ctx: AppContext): Promise<Responses['models.list']> =>
    (await loadRegistryWithActiveVersions({ modelsDir: ctx.options.modelsDir, userModelsDir: ctx.userModelsDir })).map((m) =>
      m.status === 'ok'
        ? {
            id: m.manifest.id,
            name: m.manifest.name,
            version: m.manifest.version,
            task: m.manifest.task,
            fixture: m.manifest.fixture,
            status: 'ok' as const,
            sha256: m.manifest.sha256,
            defaultThreshold: m.manifest.defaultThreshold,
          }
        : { id: m.id, name: m.id, version: '', task: 'generated' as const, fixture: false, status: 'invalid' as const, problem: m.problem },
    ),

  'dialog.pickFolder': async (ctx: AppContext, req: ParsedRequest<'dialog.pickFolder'>): Promise<Responses['dialog.pickFolder']> => ({
    path: await ctx.options.pickFolder(req.purpose, req.title),
  }),

  /** The main process's save dialog: the renderer gets a single-use handle and the path to show. */
  'dialog.saveFile': async (ctx: AppContext, req: ParsedRequest<'dialog.saveFile'>): Promise<Responses['dialog.saveFile']> => {
    const path = ctx.options.pickSaveFile ? await ctx.options.pickSaveFile(req.purpose, req.defaultName) : null;
    if (!path) return { handle: null, path: null };
    if (!isAbsolute(path)) throw new ServiceError('FAILED', `The save dialog returned a relative path (${path}); choose the file again.`);
    return { handle: ctx.rememberSaveTarget(path, req.purpose), path };
  },

  'jobs.list': async (ctx: AppContext): Promise<Responses['jobs.list']> => ctx.jobs.list(),
  'jobs.cancel': async (ctx: AppContext, req: ParsedRequest<'jobs.cancel'>): Promise<Responses['jobs.cancel']> => ({ cancelled: ctx.jobs.cancel(req.jobId) }),
};
