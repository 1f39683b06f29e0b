// Runs the analyse pipeline on the paths given, in its own process, and prints what it cost:
// peak resident memory (ru_maxrss) and time. tests/pipeline/bombs.test.ts reads the JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ELA_PARAMETERS } from '../../src/main/analysis';
import { DEFAULT_INGEST_OPTIONS } from '../../src/main/ingest';
import { analyzeBatch } from '../../src/main/pipeline/analyzeBatch';

const { paths, concurrency, memoryBudgetBytes, maxPixels } = JSON.parse(process.argv[2]) as { paths: string[]; concurrency: number; memoryBudgetBytes?: number; maxPixels?: number };
const out = mkdtempSync(join(tmpdir(), 'pl-bomb-'));
const started = performance.now();
const records: { path: string; status: string; code?: string }[] = [];
try {
  await analyzeBatch(paths, {
    detectors: [],
    ingest: { ...DEFAULT_INGEST_OPTIONS, ...(maxPixels ? { maxPixels } : {}) },
    ela: DEFAULT_ELA_PARAMETERS,
    heatmapDir: out,
    thumbnailDir: out,
    workers: 0,
    concurrency,
    memoryBudgetBytes,
    onRecord: (r) => void records.push({ path: r.path, status: r.status, code: r.error?.code }),
  });
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, seconds: (performance.now() - started) / 1000, records }));
