// The model catalogue: the one answer to "which models exist, which version of each is active,
// which file do I load". It merges the installed model folders (the bundled resources/models
// first, then any extra folder from the settings) with the user's trained versions (an
// activated version replaces the installed model of its id) and hides the repository's test
// fixtures unless the developer setting shows them. Analyse, import, evaluate, report,
// training and the UI all ask it, so the models listed are the models used.
import type { ModelVersion, ModelVersionList } from '../../contract/training';
import type { Config } from '../config';
import { silentLogger, type Logger } from '../logger';
import { activateVersion, discardVersion, getVersion, listModelVersions, loadVersionModel, rollbackVersion } from '../training/versions';
import { Detector } from './detector';
import type { ProviderRequest } from './providers';
import { loadModelRegistry, type RegisteredModel } from './registry';

export interface CatalogueOptions {
  /** Installed model folders, searched in order: an id found in an earlier folder wins. */
  modelDirs: string[];
  /** Trained versions (see training/versions.ts). */
  userModelsDir: string;
  /** The developer setting: list test fixtures with the real detectors. */
  showFixtureModels: boolean;
  /** Where detectors run unless a caller asks otherwise. */
  provider: ProviderRequest;
  /** Face detectors (config.faceDetectorsDir), for models that score face crops. */
  faceDetectorsDir?: string;
  log?: Logger;
}

export interface CatalogueEntry {
  id: string;
  /** What to load: the active trained version when there is one, else the installed model. */
  model: RegisteredModel;
  /** The active trained version ('r3'), or null when the installed model is in use. */
  activeVersion: string | null;
  /** The installed model's folder; null for a model that exists only as trained versions. */
  installedDir: string | null;
  /** A test fixture (manifest `fixture: true`): its scores carry no forensic meaning. */
  fixture: boolean;
  /** Left out of default lists and runs: a fixture while the developer setting is off. */
  hidden: boolean;
}

/** The models a run uses, and what it leaves out. */
export interface ModelSelection {
  chosen: (RegisteredModel & { status: 'ok' })[];
  /** Listed but unusable (broken manifest, changed file): reported, not run. */
  skipped: RegisteredModel[];
  /** Fixtures left out by the developer setting. */
  hidden: CatalogueEntry[];
}

/** A model id the catalogue does not know, or one that cannot be used. */
export class ModelUnavailableError extends Error {
  override name = 'ModelUnavailableError';
  constructor(
    message: string,
    readonly reason: 'unknown' | 'invalid',
  ) {
    super(message);
  }
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class ModelCatalogue {
  private readonly log: Logger;

  constructor(readonly options: CatalogueOptions) {
    this.log = options.log ?? silentLogger;
  }

  static fromConfig(config: Config, log?: Logger): ModelCatalogue {
    return new ModelCatalogue({ modelDirs: config.modelDirs, userModelsDir: config.userModelsDir, showFixtureModels: config.showFixtureModels, provider: config.provider, faceDetectorsDir: config.faceDetectorsDir, log });
  }

  get userModelsDir(): string {
    return this.options.userModelsDir;
  }

  get provider(): ProviderRequest {
    return this.options.provider;
  }

  /** Every model, hidden fixtures included, sorted by id; never throws for a bad model. */
  async entries(): Promise<CatalogueEntry[]> {
    const installed = new Map<string, RegisteredModel>();
    for (const dir of this.options.modelDirs) {
      for (const model of await loadModelRegistry(dir)) {
        const earlier = installed.get(model.id);
        if (earlier) this.log.warn(`model ${model.id} in ${model.dir} is shadowed by ${earlier.dir} (an earlier model folder)`);
        else installed.set(model.id, model);
      }
    }
    const entries = new Map<string, CatalogueEntry>();
    for (const model of installed.values()) entries.set(model.id, this.entry(model, null, model.dir));
    for (const list of await listModelVersions(this.options.userModelsDir)) {
      if (list.active === null) continue;
      // An active version that fails validation is listed as invalid, not silently replaced by
      // the installed model: the user chose it.
      const model = await loadVersionModel(this.options.userModelsDir, list.modelId, list.active);
      entries.set(list.modelId, this.entry(model, list.active, installed.get(list.modelId)?.dir ?? null));
    }
    return [...entries.values()].sort(byId);
  }

  private entry(model: RegisteredModel, activeVersion: string | null, installedDir: string | null): CatalogueEntry {
    const fixture = model.manifest?.fixture === true;
    return { id: model.id, model, activeVersion, installedDir, fixture, hidden: fixture && !this.options.showFixtureModels };
  }

  /** The models a user sees: everything but hidden fixtures. */
  async list(): Promise<CatalogueEntry[]> {
    return (await this.entries()).filter((e) => !e.hidden);
  }

  /**
   * The models a run uses. With ids, exactly those (a hidden fixture named explicitly is used:
   * naming it is the opt-in); an unknown or unusable id is an error, since the user would
   * otherwise trust a result that silently lacks it. Without ids, every usable listed model.
   */
  async select(ids?: string[]): Promise<ModelSelection> {
    const all = await this.entries();
    const hidden = all.filter((e) => e.hidden);
    if (ids && ids.length > 0) {
      const chosen = ids.map((id) => this.usable(all, id));
      return { chosen, skipped: [], hidden: hidden.filter((h) => !ids.includes(h.id)) };
    }
    const listed = all.filter((e) => !e.hidden).map((e) => e.model);
    return { chosen: listed.filter((m): m is RegisteredModel & { status: 'ok' } => m.status === 'ok'), skipped: listed.filter((m) => m.status !== 'ok'), hidden };
  }

  private usable(all: CatalogueEntry[], id: string): RegisteredModel & { status: 'ok' } {
    const entry = all.find((e) => e.id === id);
    if (!entry) {
      const visible = all.filter((e) => !e.hidden).map((e) => e.id);
      const fixtures = all.filter((e) => e.hidden).map((e) => e.id);
      throw new ModelUnavailableError(
        `No model "${id}". Available: ${visible.join(', ') || 'none'}${fixtures.length ? ` (test fixtures, hidden by default: ${fixtures.join(', ')})` : ''} (see "provenance models").`,
        'unknown',
      );
    }
    if (entry.model.status !== 'ok') throw new ModelUnavailableError(`Model "${id}" cannot be used: ${entry.model.problem}`, 'invalid');
    return entry.model;
  }

  /**
   * One model to start from: `version` names a trained version, otherwise whatever the
   * catalogue loads for that id (the active version, else the installed model).
   */
  async find(id: string, version?: string | null): Promise<RegisteredModel & { status: 'ok' }> {
    if (version) {
      const model = await loadVersionModel(this.options.userModelsDir, id, version);
      if (model.status !== 'ok') throw new ModelUnavailableError(`Version ${version} of ${id} cannot be used: ${model.problem}`, 'invalid');
      return model;
    }
    return this.usable(await this.entries(), id);
  }

  /** Opens one session per selected model on the configured provider (or `provider`). */
  async openDetectors(sel: { ids?: string[]; provider?: ProviderRequest; threads?: number } = {}): Promise<ModelSelection & { detectors: Detector[] }> {
    const selection = await this.select(sel.ids);
    const provider = sel.provider ?? this.options.provider;
    const detectors: Detector[] = [];
    try {
      for (const model of selection.chosen) {
        const detector = await Detector.open(model, { provider, strict: provider !== 'auto', threads: sel.threads, faceDetectorsDir: this.options.faceDetectorsDir });
        this.log.debug(`opened ${model.id} ${model.manifest.version} on ${detector.provider}`, { requested: provider, attempts: detector.attempts });
        detectors.push(detector);
      }
    } catch (err) {
      await Promise.all(detectors.map((d) => d.close()));
      throw err;
    }
    for (const m of selection.skipped) this.log.info(`model ${m.id} skipped: ${m.problem}`);
    return { ...selection, detectors };
  }

  // Trained versions: the registry the Models view and "provenance versions" manage.

  versions(modelId?: string): Promise<ModelVersionList[]> {
    return listModelVersions(this.options.userModelsDir, modelId);
  }

  version(modelId: string, version: string): Promise<ModelVersion> {
    return getVersion(this.options.userModelsDir, modelId, version);
  }

  async activate(modelId: string, version: string | null): Promise<ModelVersionList> {
    const list = await activateVersion(this.options.userModelsDir, modelId, version);
    this.log.info(`activated ${version ?? 'the installed model'} of ${modelId}`);
    return list;
  }

  async rollback(modelId: string): Promise<ModelVersionList> {
    const list = await rollbackVersion(this.options.userModelsDir, modelId);
    this.log.info(`rolled ${modelId} back to ${list.active ?? 'the installed model'}`);
    return list;
  }

  async discard(modelId: string, version: string): Promise<ModelVersionList> {
    const list = await discardVersion(this.options.userModelsDir, modelId, version);
    this.log.info(`discarded ${modelId} ${version}`);
    return list;
  }
}
