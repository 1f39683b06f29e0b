// Goal 4 of issue 15: gallery pages cost O(page), not O(case). Cases of 2,000, 10,000 and
// 100,000 items are written directly (tests/fixtures/largeCase.ts); for each, the time of the
// first page, the last page and the last page sorted by score, as the gallery asks for them
// (keyset: from the start, from the end), must stay within 2x of each other across all sizes.
// Also shown: a page in the middle reached by cursor, a jump by offset, the count (once per
// filter), and the sorted last page through the IPC service (validation and JSON included).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvidenceFilter } from '../src/contract/case';
import { createAppServices } from '../src/main/services';
import { openCaseDatabase } from '../src/main/store/open';
import { testConfigStore } from '../tests/config';
import { writeLargeCase } from '../tests/fixtures/largeCase';
import { fmt, LoadSampler, measure, spread, type GoalRow, type Spread } from './measure';

const PAGE = 200;

export interface GalleryOptions {
  sizes: number[];
  repeats: number;
  log: (line: string) => void;
}

interface Timed {
  cpu: Spread;
  wall: Spread;
}

/** Calls per sample: a page takes a few ms, and one descheduling would otherwise be the sample. */
const CALLS = 10;

async function timed(repeats: number, fn: () => unknown): Promise<Timed> {
  await fn(); // warm: statements prepared, pages cached
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    samples.push(
      await measure(async () => {
        for (let k = 0; k < CALLS; k++) await fn();
      }, CALLS),
    );
  }
  return { cpu: spread(samples.map((s) => s.cpuMs)), wall: spread(samples.map((s) => s.wallMs)) };
}

export async function galleryGoals(opts: GalleryOptions): Promise<{ rows: GoalRow[]; table: string[][] }> {
  const rows: GoalRow[] = [];
  const table: string[][] = [];
  const headline: { label: string; t: Timed }[] = [];
  const load = new LoadSampler();
  for (const n of opts.sizes) {
    const root = mkdtempSync(join(tmpdir(), 'provenance-bench-gallery-'));
    try {
      const t0 = performance.now();
      const large = await writeLargeCase(join(root, 'case'), n);
      opts.log(`# gallery: ${n.toLocaleString('en')} items written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const store = openCaseDatabase(large.dir, { actor: 'bench' });
      try {
        const byTime: EvidenceFilter = { sort: 'time', limit: PAGE };
        const byScore: EvidenceFilter = { sort: 'score', limit: PAGE };
        const middle = store.listGallery({ ...byScore, offset: Math.floor(n / 2) - PAGE }, { withTotal: false }).lastCursor!;
        const cases: [string, () => unknown][] = [
          ['first page', () => store.listGallery(byTime, { withTotal: false })],
          ['last page', () => store.listGallery({ ...byTime, fromEnd: true }, { withTotal: false })],
          ['sorted last page', () => store.listGallery({ ...byScore, fromEnd: true }, { withTotal: false })],
          ['sorted page after a cursor (middle)', () => store.listGallery({ ...byScore, after: middle }, { withTotal: false })],
          ['sorted jump by offset to the middle', () => store.listGallery({ ...byScore, offset: Math.floor(n / 2) }, { withTotal: false })],
          ['count (once per filter)', () => store.countEvidence(byScore)],
        ];
        for (const [label, fn] of cases) {
          const t = await timed(opts.repeats, fn);
          table.push([n.toLocaleString('en'), label, fmt(t.cpu, 2), fmt(t.wall, 2)]);
          if (label === 'first page' || label === 'last page' || label === 'sorted last page') headline.push({ label: `${label} @ ${n}`, t });
        }
      } finally {
        store.close();
      }
      // Through the IPC service, as the renderer asks (zod validation, JSON-ready values).
      const services = createAppServices({ config: testConfigStore({ stateDir: join(root, 'state') }), shell: 'test-server', pickFolder: async () => null });
      try {
        const opened = await services.dispatch('cases.open', { dir: large.dir });
        if (!opened.ok) throw new Error(opened.error.message);
        const t = await timed(opts.repeats, () => services.dispatch('evidence.list', { sort: 'score', fromEnd: true, limit: PAGE, withTotal: false }));
        table.push([n.toLocaleString('en'), 'sorted last page through the service', fmt(t.cpu, 2), fmt(t.wall, 2)]);
      } finally {
        await services.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  const l = load.stop();
  const cpus = headline.map((h) => h.t.cpu.median);
  const ratio = Math.max(...cpus) / Math.min(...cpus);
  const walls = headline.map((h) => h.t.wall.median);
  const slowest = headline[cpus.indexOf(Math.max(...cpus))]!;
  const fastest = headline[cpus.indexOf(Math.min(...cpus))]!;
  rows.push({
    goal: '4',
    measurement: `gallery: first / last / sorted last page at ${opts.sizes.map((s) => s.toLocaleString('en')).join(', ')} items`,
    value: `${ratio.toFixed(2)}x (slowest/fastest)`,
    target: '<= 2x',
    met: ratio <= 2,
    cpu: `${fmt(spread(cpus), 2)} ms (${slowest.label} vs ${fastest.label})`,
    wall: `${fmt(spread(walls), 2)} ms; wall ratio ${(Math.max(...walls) / Math.min(...walls)).toFixed(2)}x`,
    load: fmt(l, 1),
  });
  return { rows, table };
}
