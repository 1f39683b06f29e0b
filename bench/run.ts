// `npm run bench`: the goals of issue 15, each as a ratio measured in the same run next to its
// target, with CPU time and wall time and the machine's load average while it ran.
//   1-3, 6  bench/pipeline.ts      the analyse pipeline vs the least work it must do
//   4       bench/gallery.ts       gallery pages at 2k, 10k and 100k items
//   5       bench/importMemory.ts  memory per imported file
// Then bench/analyses.ts: the cost of each forensic analysis per megapixel against decoding.
// Options: --large N (12 MP images, default 6), --small N (256 px, default 200), --rounds N (3),
// --ep auto|cpu|webgpu, --gallery 2000,10000,100000, --import-items N (3000), --only 1,4,5,
// --workers-sweep 2,4,8,16 (a many-core machine), --analyses N (images for the analyses
// benchmark, default 24; 0 skips it), --quick, --json FILE.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../src/main/cli/terminal';
import type { GoalRow } from './measure';

const { values } = parseArgs({
  options: {
    large: { type: 'string' },
    small: { type: 'string' },
    rounds: { type: 'string' },
    ep: { type: 'string' },
    gallery: { type: 'string' },
    'import-items': { type: 'string' },
    only: { type: 'string' },
    'workers-sweep': { type: 'string' },
    quick: { type: 'boolean' },
    analyses: { type: 'string' },
    json: { type: 'string' },
  },
});
const quick = values.quick === true;
const list = (text: string | undefined, fallback: number[]) => (text ? text.split(',').map(Number).filter((n) => Number.isFinite(n) && n > 0) : fallback);
const only = new Set(list(values.only, [1, 2, 3, 4, 5, 6]));
const log = (line: string) => console.log(line);

const started = new Date();
const load0 = loadavg();
log(`# Provenance Lab bench, ${started.toISOString()}`);
log(`# ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load average ${load0.map((l) => l.toFixed(2)).join(' ')} (1/5/15 min)`);

const rows: GoalRow[] = [];
const extra: Record<string, unknown> = {};
if ([1, 2, 3, 6].some((g) => only.has(g))) {
  // Sections load on demand: the GPU machine runs goals 1-3 and 6 without the database packages.
  const { pipelineGoals } = await import('./pipeline');
  const r = await pipelineGoals({
    large: Number(values.large ?? (quick ? 2 : 6)),
    small: Number(values.small ?? (quick ? 48 : 200)),
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    ep: values.ep ?? 'auto',
    workerSweep: list(values['workers-sweep'], []),
    log,
  });
  rows.push(...r.rows.filter((row) => only.has(Number(row.goal))));
  for (const note of r.notes) log(`# ${note}`);
}
if (only.has(4)) {
  const { galleryGoals } = await import('./gallery');
  const r = await galleryGoals({ sizes: list(values.gallery, quick ? [2000, 10_000] : [2000, 10_000, 100_000]), repeats: quick ? 5 : 15, log });
  rows.push(...r.rows);
  log('\nGallery pages (ms per call, median (min-max)):');
  log(formatTable(['items', 'request', 'CPU ms', 'wall ms'], r.table));
  extra.gallery = r.table;
}
if (only.has(5)) {
  const { importMemoryGoal } = await import('./importMemory');
  const r = importMemoryGoal(Number(values['import-items'] ?? (quick ? 1000 : 3000)), log);
  rows.push(...r.rows);
  log(`\nImport memory, RSS after GC by files imported: ${r.samples}`);
  extra.importMemory = r.samples;
}

const analysesCount = Number(values.analyses ?? (quick ? 0 : 24));
if (analysesCount > 0) {
  const { runAnalysesBench } = await import('./analyses');
  extra.analyses = await runAnalysesBench({ count: analysesCount, width: 1024, height: 768 });
}

const load1 = loadavg();
log(`\nGoals (issue 15), CPU time = process user+sys (all threads); load average ${load0[0]!.toFixed(2)} at the start, ${load1[0]!.toFixed(2)} at the end:`);
log(
  formatTable(
    ['goal', 'measurement', 'result', 'target', 'met', 'CPU', 'wall', 'load'],
    rows.map((r) => [r.goal, r.measurement, r.value, r.target, r.met === null ? '' : r.met ? 'yes' : 'NO', r.cpu, r.wall, r.load]),
  ),
);
const report = { date: started.toISOString(), node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model, loadStart: load0, loadEnd: load1, rows, ...extra };
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(values.json ?? join(import.meta.dirname, 'results', 'latest.json'), JSON.stringify(report, null, 2));
