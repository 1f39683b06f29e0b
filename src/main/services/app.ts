import type { ExecutionProviderName } from '../../contract/evidence';
import type { ModelInfo, ParsedRequest, Responses } from '../../contract/ipc';
import type { EditableSettingKey } from '../../contract/settings';
import { ConfigError, settingsView } from '../config';
import type { CatalogueEntry } from '../inference/catalogue';
import { availableProviders } from '../inference';
import { SOFTWARE_VERSION } from '../version';
import { isAbsolute } from 'node:path';
import { ServiceError, type AppContext } from './context';

function modelInfo(e: CatalogueEntry): ModelInfo {
  const m = e.model;
  return m.status === 'ok'
    ? {
        id: m.manifest.id,
        name: m.manifest.name,
        version: m.manifest.version,
        task: m.manifest.task,
        fixture: m.manifest.fixture,
        status: 'ok',
        sha256: m.manifest.sha256,
        defaultThreshold: m.manifest.defaultThreshold,
        activeVersion: e.activeVersion,
      }
    : { id: m.id, name: m.manifest?.name ?? m.id, version: m.manifest?.version ?? '', task: m.manifest?.task ?? 'generated', fixture: e.fixture, status: 'invalid', problem: m.problem, activeVersion: e.activeVersion };
}

export const appHandlers = {
  'app.info': async (ctx: AppContext): Promise<Responses['app.info']> => ({
    name: 'Provenance Lab',
    version: SOFTWARE_VERSION,
    offline: true,
    shell: ctx.options.shell,
    providers: availableProviders() as ExecutionProviderName[],
    provider: ctx.config.provider,
  }),

  /** What import and evaluation run by default: the catalogue's listed models. */
  'models.list': async (ctx: AppContext): Promise<Responses['models.list']> => {
    const entries = await ctx.catalogue.entries();
    return { models: entries.filter((e) => !e.hidden).map(modelInfo), hiddenFixtures: entries.filter((e) => e.hidden).map((e) => e.id) };
  },

  'settings.get': async (ctx: AppContext): Promise<Responses['settings.get']> => settingsView(ctx.config),

  /**
   * Writes the change to the settings file and rebuilds the configuration from it. A setting an
   * environment variable or the command line fixes cannot be changed here: the file's value
   * would be saved and silently not apply.
   */
  'settings.update': async (ctx: AppContext, req: ParsedRequest<'settings.update'>): Promise<Responses['settings.update']> => {
    const config = ctx.config;
    for (const key of Object.keys(req) as EditableSettingKey[]) {
      const source = config.sources[key];
      if (source === 'environment' || source === 'command line' || source === 'app') {
        throw new ServiceError('FAILED', `"${key}" is set by ${source === 'environment' ? `the environment variable ${settingsView(config).environment[key]}` : `the ${source}`}; change it there.`);
      }
    }
    try {
      const next = ctx.options.config.update(req);
      ctx.log.info('settings changed', { changed: req, settingsFile: next.settingsFile });
      return settingsView(next);
    } catch (err) {
      if (err instanceof ConfigError) throw new ServiceError('FAILED', err.message);
      throw err;
    }
  },

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
