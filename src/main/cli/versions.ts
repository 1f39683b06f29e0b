import type { ModelVersionList } from '../../contract/training';
import type { CliContext } from './index';
import { formatTable } from './terminal';
import { parseCommandArgs, UsageError } from './usage';

const help = `provenance versions [ID] [--json]             list trained versions
provenance versions activate ID VERSION|bundled   score with a version (or the bundled model)
provenance versions rollback ID                  undo the last activation
provenance versions discard ID VERSION           delete a candidate's weights (record kept)

Trained versions live in <state folder>/models (the app's user data folder); --user-models DIR,
the "userModelsDir" setting or $PROVENANCE_USER_MODELS_DIR point elsewhere.`;

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '--' : `${(100 * v).toFixed(1)}%`;
}

/** The versions table printed by "provenance versions" and after "provenance models". */
export function formatVersionLists(lists: ModelVersionList[]): string {
  const rows = lists.flatMap((l) =>
    l.versions.map((v) => [
      v.modelId,
      v.version,
      v.status,
      v.source,
      v.createdAt.slice(0, 19).replace('T', ' '),
      v.parent ? `${v.parent.modelId} ${v.parent.version ?? '(bundled)'}` : '',
      pct(v.metrics.detector?.accuracy ?? v.metrics.trainer?.valAcc),
      pct(v.baseline?.metrics.accuracy),
      v.sha256.slice(0, 12),
    ]),
  );
  if (rows.length === 0) return 'no trained versions';
  return formatTable(['model', 'version', 'status', 'source', 'created', 'parent', 'val acc', 'was', 'sha256'], rows);
}

async function run(args: string[], { catalogue }: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
  const [action, id, version] = positionals;
  let lists: ModelVersionList[];
  if (action === 'activate') {
    if (!id || !version) throw new UsageError('activate needs ID and VERSION (or "bundled").');
    lists = [await catalogue.activate(id, version === 'bundled' ? null : version)];
  } else if (action === 'rollback') {
    if (!id) throw new UsageError('rollback needs ID.');
    lists = [await catalogue.rollback(id)];
  } else if (action === 'discard') {
    if (!id || !version) throw new UsageError('discard needs ID and VERSION.');
    lists = [await catalogue.discard(id, version)];
  } else {
    if (positionals.length > 1) throw new UsageError(`Unknown versions action "${action}".`);
    lists = await catalogue.versions(action);
  }
  if (values.json) console.log(JSON.stringify(lists, null, 2));
  else {
    console.log(formatVersionLists(lists));
    for (const l of lists) if (action) console.log(`\n${l.modelId}: ${l.active ? `version ${l.active} is active` : 'the bundled model is in use'}`);
  }
  return 0;
}

export const versionsCommand = { run, help };
