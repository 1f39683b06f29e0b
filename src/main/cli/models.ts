import type { CatalogueEntry } from '../inference/catalogue';
import { availableProviders, providerOrder, type Detector, type ProviderRequest, type RegisteredModel } from '../inference';
import { operatingPointOf } from '../inference/manifest';
import type { CliContext } from './index';
import { formatTable } from './terminal';
import { formatVersionLists } from './versions';
import { parseCommandArgs } from './usage';

const help = `provenance models [--json]

Lists the detectors analyse, import and evaluate run: the installed models (resources/models,
or --models-dir / $PROVENANCE_MODELS_DIR, then any extra folder in settings.json), each
replaced by its activated trained version, with task, version, ONNX SHA-256 and whether it can
be used; then the execution providers this build of onnxruntime offers and the order "auto"
tries them in; then the trained versions (see "provenance versions"). Test-fixture models are
listed only with --fixtures (or the developer setting).`;

/** What a run will use, for stderr before it starts: each model, its provider, fallbacks and skips. */
export function describeOpened(detectors: Detector[], skipped: RegisteredModel[], requested: ProviderRequest): string {
  const lines: string[] = [];
  for (const m of skipped) lines.push(`warning: model ${m.id} skipped: ${m.problem}`);
  if (detectors.length === 0) lines.push('no detector will run (see "provenance models"): only hashes, metadata and ELA');
  for (const d of detectors) {
    const fellBack = d.attempts.filter((a) => a.error).map((a) => `${a.provider}: ${a.error}`);
    lines.push(`model ${d.model.manifest.id} ${d.model.manifest.version} on ${d.provider} (asked: ${requested})${fellBack.length ? ` (fell back from ${fellBack.join('; ')})` : ''}`);
    if (d.model.manifest.fixture) lines.push(`  ! ${d.model.manifest.id} is a TEST FIXTURE, not a trained detector: its scores carry no forensic meaning.`);
  }
  return lines.join('\n');
}

export function describeHidden(hidden: CatalogueEntry[]): string {
  return `(${hidden.length} test-fixture model${hidden.length === 1 ? '' : 's'} not run: ${hidden.map((h) => h.id).join(', ')}; --fixtures runs them)`;
}

/** "4.6% / 31.2% (test split, 120 real / 130 fake)", or "–" for a model without a record. */
export function operatingPointText(op: ReturnType<typeof operatingPointOf>): string {
  if (!op) return '–';
  const rate = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
  return `${rate(op.fpr)} / ${rate(op.fnr)} (${op.measuredOn})`;
}

async function run(args: string[], { config, catalogue }: CliContext): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } });
  const entries = await catalogue.entries();
  const listed = entries.filter((e) => !e.hidden);
  const hidden = entries.filter((e) => e.hidden);
  const providers = availableProviders();
  const order = providerOrder('auto');
  const versions = await catalogue.versions();
  if (values.json) {
    console.log(
      JSON.stringify(
        { models: listed.map((e) => ({ ...e.model, activeVersion: e.activeVersion })), hiddenFixtures: hidden.map((e) => e.id), modelDirs: config.modelDirs, provider: config.provider, providers, autoOrder: order, userModelsDir: config.userModelsDir, versions },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(
    formatTable(
      ['id', 'version', 'task', 'status', 'threshold', 'FPR / FNR there', 'sha256', 'note'],
      listed.map(({ model: m, activeVersion }) => [
        m.id,
        m.manifest?.version ?? '',
        m.manifest?.task ?? '',
        m.status,
        m.manifest ? String(Number(m.manifest.defaultThreshold.toFixed(4))) : '',
        operatingPointText(m.manifest ? operatingPointOf(m.manifest) : null),
        m.manifest?.sha256?.slice(0, 16) ?? '',
        m.status !== 'ok' ? (m.problem ?? '') : m.manifest.fixture ? 'TEST FIXTURE: scores carry no forensic meaning' : `${m.manifest.name}${activeVersion ? ` (trained version ${activeVersion})` : ''}`,
      ]),
    ),
  );
  if (listed.length === 0) console.log('(no detectors installed)');
  if (hidden.length) console.log(describeHidden(hidden));
  console.log(`\nmodel folders: ${config.modelDirs.join(', ')}`);
  console.log(`execution providers in this build: ${providers.join(', ')}; configured: ${config.provider}`);
  console.log(`"auto" tries: ${order.join(' → ')} (the provider that actually ran is recorded with every score)`);
  if (providers.includes('webgpu') && !order.includes('webgpu')) console.log('  webgpu is left out of "auto": no GPU device on this machine (--ep webgpu still tries it)');
  console.log(`\ntrained versions (${config.userModelsDir}; "provenance versions" to activate, roll back or discard):\n${formatVersionLists(versions)}`);
  return 0;
}

export const modelsCommand = { run, help };
