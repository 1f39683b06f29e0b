import type { ExecutionProviderName } from '../../contract/evidence';
import { Detector, type RegisteredModel } from '../inference';
import { defaultUserModelsDir, loadRegistryWithActiveVersions } from '../training';

export interface DetectorSelection {
  /** Model ids to use; undefined → every valid model in the registry. */
  ids?: string[];
  /** 'auto' tries webgpu → dml/coreml → cpu; a named provider is required (no fallback). */
  provider?: ExecutionProviderName | 'auto';
  threads?: number;
  modelsDir?: string;
  /** Trained versions (see src/main/training/versions.ts); an activated version replaces its bundled model. */
  userModelsDir?: string;
}

/**
 * Resolves model ids against the registry and opens one session per model. An unknown or
 * invalid model the user asked for by name is an error (they would otherwise trust a result
 * that silently lacks it); with no ids, invalid models are skipped and reported.
 */
export async function openDetectors(sel: DetectorSelection): Promise<{ detectors: Detector[]; skipped: RegisteredModel[] }> {
  const registry = await loadRegistryWithActiveVersions({ modelsDir: sel.modelsDir, userModelsDir: sel.userModelsDir ?? defaultUserModelsDir() });
  let chosen: RegisteredModel[];
  const skipped: RegisteredModel[] = [];
  if (sel.ids && sel.ids.length > 0) {
    chosen = sel.ids.map((id) => {
      const model = registry.find((m) => m.id === id);
      if (!model) throw new Error(`No model "${id}". Available: ${registry.map((m) => m.id).join(', ') || 'none'} (see "provenance models").`);
      if (model.status !== 'ok') throw new Error(`Model "${id}" cannot be used: ${model.problem}`);
      return model;
    });
  } else {
    chosen = registry.filter((m) => m.status === 'ok');
    skipped.push(...registry.filter((m) => m.status !== 'ok'));
  }
  const provider = sel.provider ?? 'auto';
  const detectors: Detector[] = [];
  try {
    for (const model of chosen) {
      detectors.push(await Detector.open(model, { provider, strict: provider !== 'auto', threads: sel.threads }));
    }
  } catch (err) {
    await Promise.all(detectors.map((d) => d.close()));
    throw err;
  }
  return { detectors, skipped };
}
