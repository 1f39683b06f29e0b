// Decompression bombs (issue 11, finding 6), measured in a child process: peak resident memory
// (ru_maxrss) and time. Before: a 2 KB JPEG and a 24 KB PNG declaring 14000 × 14000 each reached
// 2.7 GiB and minutes, two in one folder 4.7 GiB. Now they are refused from their headers (100 MP
// default limit), and large images under the limit are decoded under a memory budget instead
// of all at once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_INGEST_OPTIONS } from '../../src/main/ingest';
import { estimatePrepareBytes, MemoryBudget, PREPARE_BYTES_PER_PIXEL } from '../../src/main/pipeline/memoryBudget';
import { writeJpegBomb, writePngBomb } from '../fixtures/bombs';

const ROOT = path.join(import.meta.dirname, '..', '..');

interface ChildResult {
  maxRssMb: number;
  seconds: number;
  records: { path: string; status: string; code?: string }[];
}

function analyse(options: { paths: string[]; concurrency: number; memoryBudgetBytes?: number; maxPixels?: number }): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/pipeline/bombChild.ts'), JSON.stringify(options)], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
}

describe('decompression bombs', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-bombs-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a 2 KB JPEG and a 24 KB PNG of 14000 × 14000 are refused from their headers, in little memory and time', async () => {
    const jpeg = path.join(dir, 'bomb.jpg');
    const png = path.join(dir, 'bomb.png');
    assert.equal(await writeJpegBomb(jpeg, 14000, 14000), 2048);
    assert.ok(writePngBomb(png, 14000, 14000) < 25 * 1024);
    assert.equal(DEFAULT_INGEST_OPTIONS.maxPixels, 100_000_000);
    const result = analyse({ paths: [jpeg, png], concurrency: 4 });
    assert.deepEqual(result.records.map((r) => [path.basename(r.path), r.code]).sort(), [['bomb.jpg', 'TOO_MANY_PIXELS'], ['bomb.png', 'TOO_MANY_PIXELS']]);
    console.log(`# two 14000×14000 bombs: peak ${result.maxRssMb.toFixed(0)} MB, ${result.seconds.toFixed(1)} s`);
    assert.ok(result.maxRssMb < 400, `peak RSS ${result.maxRssMb.toFixed(0)} MB (was 4.7 GiB)`);
    assert.ok(result.seconds < 60, `${result.seconds.toFixed(1)} s (was minutes)`);
  });

  test('large images under the limit are decoded within the memory budget, not all at once', { timeout: 600_000 }, async () => {
    const side = 4000;
    const bombs: string[] = [];
    for (let i = 0; i < 4; i++) {
      bombs.push(path.join(dir, `under-${i}.jpg`));
      await writeJpegBomb(bombs[i], side, side, 600);
    }
    const estimate = await estimatePrepareBytes(bombs[0], DEFAULT_INGEST_OPTIONS.maxPixels);
    assert.equal(estimate, side * side * PREPARE_BYTES_PER_PIXEL, 'estimated from the header: 600 bytes read, nothing decoded');

    const one = analyse({ paths: [bombs[0]], concurrency: 4 });
    const unbudgeted = analyse({ paths: bombs, concurrency: 4, memoryBudgetBytes: 64 * 1024 ** 3 });
    const budgeted = analyse({ paths: bombs, concurrency: 4, memoryBudgetBytes: Math.round(estimate * 1.2) });
    for (const r of [one, unbudgeted, budgeted]) assert.ok(r.records.every((x) => x.status === 'ok'), JSON.stringify(r.records));
    console.log(`# ${side}×${side} JPEG bombs: one ${one.maxRssMb.toFixed(0)} MB; four at once ${unbudgeted.maxRssMb.toFixed(0)} MB; four under a one-image budget ${budgeted.maxRssMb.toFixed(0)} MB`);
    // The estimate is the right size: one image's growth over a bare process is within it.
    const perPixel = ((one.maxRssMb - 100) * 1024 * 1024) / (side * side);
    assert.ok(perPixel < PREPARE_BYTES_PER_PIXEL * 1.5, `${perPixel.toFixed(1)} bytes per pixel measured`);
    // Four at once cost about four images; under the budget, far less (freed buffers wait for GC, so not exactly one).
    assert.ok(unbudgeted.maxRssMb > one.maxRssMb * 2, 'the four images stress memory when decoded together');
    assert.ok(budgeted.maxRssMb < unbudgeted.maxRssMb * 0.7, `budgeted ${budgeted.maxRssMb.toFixed(0)} MB vs ${unbudgeted.maxRssMb.toFixed(0)} MB`);
  });

  test('the budget grants in order, lets one oversized request run alone, and gives back what was taken', async () => {
    const budget = new MemoryBudget(100);
    const order: string[] = [];
    const a = await budget.acquire(60);
    const b = budget.acquire(60).then((r) => (order.push('b'), r));
    const c = budget.acquire(10).then((r) => (order.push('c'), r));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(order, [], 'b waits for room, and c waits behind b (no overtaking)');
    a();
    a();
    const [releaseB, releaseC] = await Promise.all([b, c]);
    assert.deepEqual(order, ['b', 'c']);
    assert.equal(budget.inUse, 70);
    releaseB();
    releaseC();
    const huge = await budget.acquire(1000);
    assert.equal(budget.inUse, 1000, 'larger than the whole budget: granted when nothing else is held');
    huge();
    assert.equal(budget.inUse, 0);
  });
});
