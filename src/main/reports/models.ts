import type { AnalysisRun, StoredResult } from '../../contract/case';
import type { ExecutionProviderName, ModelScore } from '../../contract/evidence';
import type { ReportModel } from '../../contract/report';
import type { RegisteredModel } from '../inference/registry';

const key = (id: string, version: string, sha256: string) => `${id}\u0000${version}\u0000${sha256}`;

/**
 * Every model the case's runs used, identified by the ONNX hash the run recorded. What a run
 * cannot say (the provider that actually ran, the threshold) comes from the stored scores; the
 * display name comes from the installed model only when its file has the very same hash.
 */
export function collectModels(runs: AnalysisRun[], results: Iterable<StoredResult>, installed: RegisteredModel[]): ReportModel[] {
  const models = new Map<string, ReportModel>();
  for (const run of runs) {
    for (const m of run.parameters.models) {
      const k = key(m.id, m.version, m.onnxSha256);
      let model = models.get(k);
      if (!model) {
        const manifest = installed.find((r) => r.status === 'ok' && r.manifest.id === m.id && r.manifest.sha256 === m.onnxSha256)?.manifest;
        model = {
          id: m.id,
          name: manifest?.name ?? m.id,
          version: m.version,
          task: manifest?.task ?? null,
          onnxSha256: m.onnxSha256,
          providers: [],
          thresholds: [],
          fixture: manifest?.fixture ?? false,
          runIds: [],
        };
        models.set(k, model);
      }
      model.runIds.push(run.id);
    }
  }
  for (const result of results) {
    for (const s of result.scores) {
      const model = models.get(key(s.modelId, s.modelVersion, s.modelSha256));
      if (!model) continue; // a score whose run did not list the model: the run's list is the record
      addUnique(model.providers, s.provider);
      addUnique(model.thresholds, s.threshold);
      model.task ??= s.task;
      model.fixture ||= s.fixture;
    }
  }
  for (const m of models.values()) {
    m.providers.sort();
    m.thresholds.sort((a, b) => a - b);
  }
  return [...models.values()];
}

function addUnique<T extends ExecutionProviderName | number>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
}

/** Scores of one model in a result, matched by id and version (a case may hold two versions). */
export function scoreOf(scores: ModelScore[], modelId: string, modelVersion: string): ModelScore | undefined {
  return scores.find((s) => s.modelId === modelId && s.modelVersion === modelVersion);
}
