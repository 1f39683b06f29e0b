import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ExecutionProviderName } from '../../contract/evidence';
import type { ModelInfo, ModelRates, ParsedRequest, Responses } from '../../contract/ipc';
import type { EditableSettingKey } from '../../contract/settings';
import { ConfigError, settingsView } from '../config';
import type { CatalogueEntry } from '../inference/catalogue';
import type { ModelManifest } from '../inference/manifest';
import { availableProviders } from '../inference';
import { SOFTWARE_VERSION } from '../version';
import { ServiceError, type AppContext } from './context';

function modelInfo(e: CatalogueEntry): ModelInfo {
  const m = e.model;
  return m.status === 'ok'
    ? {
        id: m.manifest.id,
        name: m.manifest.name,
        shortName: shortNameOf(m.manifest),
        evaluation: ratesOf(m.manifest),
        version: m.manifest.version,
        task: m.manifest.task,
        fixture: m.manifest.fixture,
        status: 'ok',
        sha256: m.manifest.sha256,
        defaultThreshold: m.manifest.defaultThreshold,
        activeVersion: e.activeVersion,
      }
    : { id: m.id, name: m.manifest?.name ?? m.id, shortName: m.id, version: m.manifest?.version ?? '', task: m.manifest?.task ?? 'generated', fixture: e.fixture, status: 'invalid', problem: m.problem, activeVersion: e.activeVersion };
}

const MAX_FOLDERS = 1000;

/** A name that fits a gallery tile: the manifest's shortName, its name when short, else the id. */
function shortNameOf(manifest: ModelManifest): string {
  if (manifest.shortName?.trim()) return manifest.shortName.trim();
  return manifest.name.length <= 18 ? manifest.name : manifest.id;
}

/** The rates a model's manifest reports at its threshold (its held-out evaluation); older manifests have none. */
export function ratesOf(manifest: ModelManifest): ModelRates | null {
  const e = manifest.evaluation;
  if (!e || (e.fpr === null && e.fnr === null)) return null;
  return { threshold: e.threshold, fpr: e.fpr, fnr: e.fnr, measuredOn: `${e.split}, ${e.real} real / ${e.fake} fake (evaluation${e.scoredBy ? ` by ${e.scoredBy}` : ''})` };
}

async function listFolders(path: string): Promise<Responses['fs.folders']> {
  const folder = resolve(path);
  const info = await stat(folder).catch(() => null);
  if (!info) throw new ServiceError('NOT_FOUND', `${folder} does not exist.`);
  if (!info.isDirectory()) throw new ServiceError('FAILED', `${folder} is a file, not a folder.`);
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (err) {
    throw new ServiceError('FAILED', `${folder} cannot be listed: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}.`);
  }
  const names: string[] = [];
  for (const e of entries) {
    // A symbolic link to a folder is a folder to pick.
    const isFolder = e.isDirectory() || (e.isSymbolicLink() && (await stat(join(folder, e.name)).then((s) => s.isDirectory(), () => false)));
    if (isFolder) names.push(e.name);
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  const parent = dirname(folder);
  return {
    path: folder,
    parent: parent === folder ? null : parent,
    folders: names.slice(0, MAX_FOLDERS).map((name) => ({ name, path: join(folder, name) })),
    truncated: names.length > MAX_FOLDERS,
  };
}

export const appHandlers = {
  'app.info': async (ctx: AppContext): Promise<Responses['app.info']> => ({
    name: 'Provenance Lab',
    version: SOFTWARE_VERSION,
    offline: true,
    shell: ctx.options.shell,
    providers: availableProviders() as ExecutionProviderName[],
    provider: ctx.config.provider,
    folderDialog: ctx.options.pickFolder !== undefined,
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
    path: ctx.options.pickFolder ? await ctx.options.pickFolder(req.purpose, req.title) : null,
  }),

  /**
   * The folders inside one folder (the home folder by default): the in-app folder browser and
   * the path fields' completion, where no native dialog exists (the app in a plain browser).
   * Names only, read-only; files are not listed.
   */
  'fs.folders': async (ctx: AppContext, req: ParsedRequest<'fs.folders'>): Promise<Responses['fs.folders']> => listFolders(req.path ?? ctx.config.homeDir),

  /** The main process's save dialog: the renderer gets a single-use handle and the path to show. */
  'dialog.saveFile': async (ctx: AppContext, req: ParsedRequest<'dialog.saveFile'>): Promise<Responses['dialog.saveFile']> => {
    const path = ctx.options.pickSaveFile ? await ctx.options.pickSaveFile(req.purpose, req.defaultName) : null;
    if (!path) return { handle: null, path: null };
    if (!isAbsolute(path)) throw new ServiceError('FAILED', `The save dialog returned a relative path (${path}); choose the file again.`);
    return { handle: ctx.rememberSaveTarget(path, req.purpose), path };
  },

  /** The open case's jobs and the app-wide ones: another case's import never shows here. */
  'jobs.list': async (ctx: AppContext): Promise<Responses['jobs.list']> => ctx.jobs.list(ctx.current?.case.id ?? null),
  'jobs.cancel': async (ctx: AppContext, req: ParsedRequest<'jobs.cancel'>): Promise<Responses['jobs.cancel']> => ({ cancelled: ctx.jobs.cancel(req.jobId) }),
};
