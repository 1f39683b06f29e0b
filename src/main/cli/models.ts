import { availableProviders, providerOrder } from '../inference';
import { defaultUserModelsDir, listModelVersions, loadRegistryWithActiveVersions } from '../training';
import { formatTable } from './terminal';
import { formatVersionLists } from './versions';
import { parseCommandArgs } from './usage';

const help = `provenance models [--json]

Lists the detectors in the model registry (resources/models, or $PROVENANCE_MODELS_DIR) with
their task, version, ONNX SHA-256 and whether they can be used, then the execution providers
this build of onnxruntime offers and the order "auto" tries them in, then the trained versions
($PROVENANCE_USER_MODELS_DIR, see "provenance versions").`;

async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } });
  const userModelsDir = defaultUserModelsDir();
  // What analyse and evaluate will run: bundled models, each replaced by its activated version.
  const registry = await loadRegistryWithActiveVersions({ userModelsDir });
  const providers = availableProviders();
  const order = providerOrder('auto');
  const versions = await listModelVersions(userModelsDir);
  if (values.json) {
    console.log(JSON.stringify({ models: registry, providers, autoOrder: order, versions }, null, 2));
    return 0;
  }
  console.log(
    formatTable(
      ['id', 'version', 'task', 'status', 'sha256', 'note'],
      registry.map((m) => [
        m.manifest?.id ?? m.modelPath,
        m.manifest?.version ?? '',
        m.manifest?.task ?? '',
        m.status,
        m.manifest?.sha256?.slice(0, 16) ?? '',
        m.status !== 'ok' ? (m.problem ?? '') : m.manifest.fixture ? 'TEST FIXTURE: scores carry no forensic meaning' : m.manifest.name,
      ]),
    ),
  );
  console.log(`\nexecution providers in this build: ${providers.join(', ')}`);
  console.log(`"auto" tries: ${order.join(' → ')} (the provider that actually ran is recorded with every score)`);
  console.log(`\ntrained versions (${userModelsDir}; "provenance versions" to activate, roll back or discard):\n${formatVersionLists(versions)}`);
  return 0;
}

export const modelsCommand = { run, help };
