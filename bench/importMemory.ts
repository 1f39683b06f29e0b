// Goal 5 of issue 15: import memory stays flat. A child process (a clean heap, --expose-gc)
// imports N small JPEGs into a new case through the same importer the app uses, sampling the
// resident set size and the JS heap after a full GC of the main thread every 50 files. Worker
// threads collect their own heaps on their own schedule, so the RSS of a window of 500 files is
// its lowest sample; the slope of those over the second half of the import (after start-up,
// thread pools and caches settled) is the cost per item.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoalRow } from './measure';

interface MemoryResult {
  items: number;
  seconds: number;
  /** [files done, heap KiB, RSS KiB] after GC. */
  samples: [number, number, number][];
  heapSlope: number;
  rssSlope: number;
  rssGrowthKiB: number;
}

function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / sxx;
}

/** The child: imports and prints one JSON line. */
async function child(items: number): Promise<void> {
  const { makeJpeg } = await import('../tests/fixtures/images');
  const { importIntoCase } = await import('../src/main/pipeline/importIntoCase');
  const { DEFAULT_INGEST_OPTIONS } = await import('../src/main/ingest');
  const { testCatalogue } = await import('../tests/config');
  const { openCaseDatabase } = await import('../src/main/store/open');
  const dir = join(tmpdir(), 'provenance-bench-images', `import-32x32-${items}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < items; i++) {
    const p = join(dir, `t-${String(i).padStart(6, '0')}.jpg`);
    if (!existsSync(p)) await makeJpeg(p, { width: 32, height: 32, seed: i + 1, quality: 85 });
  }
  const root = mkdtempSync(join(tmpdir(), 'provenance-bench-import-'));
  const gc = (globalThis as { gc?: () => void }).gc!;
  const samples: [number, number, number][] = [];
  try {
    const store = openCaseDatabase(join(root, 'case'), { actor: 'bench' });
    store.createCase({ name: 'import memory', number: '', examiner: '', organisation: '', description: '' });
    let last = 0;
    const t0 = performance.now();
    await importIntoCase(store, {
      paths: [dir],
      // The repository's models (fixtures included), as the import measured in issue 15 ran.
      catalogue: testCatalogue(),
      ingest: DEFAULT_INGEST_OPTIONS,
      onProgress: (p) => {
        const done = p.done + p.failed;
        if (done - last < 50) return;
        last = done;
        gc();
        gc();
        const m = process.memoryUsage();
        samples.push([done, m.heapUsed / 1024, m.rss / 1024]);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    store.close();
    // Per window of 500 files: the last file count, the lowest heap and the lowest RSS.
    const windows: [number, number, number][] = [];
    for (const [d, h, r] of samples) {
      const w = Math.floor((d - 1) / 500);
      const cur = windows[w];
      windows[w] = cur ? [d, Math.min(cur[1], h), Math.min(cur[2], r)] : [d, h, r];
    }
    const full = windows.filter(Boolean);
    const late = full.slice(Math.floor(full.length / 2));
    const result: MemoryResult = {
      items,
      seconds,
      samples: full.map(([d, h, r]) => [d, Math.round(h), Math.round(r)]),
      heapSlope: slope(late.map(([d, h]) => [d, h])),
      rssSlope: slope(late.map(([d, , r]) => [d, r])),
      rssGrowthKiB: late.at(-1)![2] - late[0]![2],
    };
    console.log(JSON.stringify(result));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function importMemoryGoal(items: number, log: (line: string) => void): { rows: GoalRow[]; samples: string } {
  log(`# import memory: ${items} files in a child process`);
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(items)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  if (run.status !== 0 || !line) throw new Error(`import memory child failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const r = JSON.parse(line) as MemoryResult;
  return {
    rows: [
      {
        goal: '5',
        measurement: `import memory, RSS slope over files ${r.samples[Math.floor(r.samples.length / 2)]?.[0]}-${r.items}`,
        value: `${r.rssSlope.toFixed(2)} KiB/item`,
        target: 'flat (< 1 KiB/item)',
        met: r.rssSlope < 1,
        cpu: `JS heap ${r.heapSlope.toFixed(2)} KiB/item`,
        wall: `${(r.items / r.seconds).toFixed(0)} files/s`,
        load: '',
      },
    ],
    samples: r.samples.map(([d, h, rss]) => `${d}:${(rss / 1024).toFixed(1)}M`).join(' '),
  };
}

if (process.argv[2] === '--child') await child(Number(process.argv[3]));
