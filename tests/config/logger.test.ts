import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger, silentLogger } from '../../src/main/logger';

const tmp = mkdtempSync(join(tmpdir(), 'provenance-log-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const now = () => new Date('2026-01-02T03:04:05.000Z');

test('levels filter per sink: the file at its level, stderr at its own, lines scoped and one per event', () => {
  const file = join(tmp, 'logs', 'provenance.log');
  const stderr: string[] = [];
  const log = createLogger({ level: 'info', file, stderrLevel: 'warn', stderr: { write: (t: string) => stderr.push(t) }, now });
  log.debug('not written anywhere');
  log.info('case opened', { dir: '/cases/a' });
  log.child('media').warn('media not served: photo.jpg has changed on disk\nsecond line', { status: 409, error: Object.assign(new Error('boom'), { code: 'EIO' }) });
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.deepEqual(lines, [
    '2026-01-02T03:04:05.000Z INFO  case opened {"dir":"/cases/a"}',
    '2026-01-02T03:04:05.000Z WARN  [media] media not served: photo.jpg has changed on disk\\nsecond line {"status":409,"error":{"message":"boom","code":"EIO"}}',
  ]);
  assert.deepEqual(stderr, [`${lines[1]}\n`]);
  assert.equal(log.level, 'info');
  assert.equal(log.enabled('debug'), false);
  assert.equal(log.enabled('info'), true);
});

test('the CLI form: stderr only, plain lines, --verbose shows debug', () => {
  const out: string[] = [];
  const log = createLogger({ level: 'error', file: null, stderrLevel: 'debug', stderrTimestamps: false, stderr: { write: (t: string) => out.push(t) } });
  log.child('models').debug('opened fixture-texture-cnn 1.0.0 on cpu');
  assert.deepEqual(out, ['debug: [models] opened fixture-texture-cnn 1.0.0 on cpu\n']);
  assert.equal(log.level, 'debug');
});

test('a full log file is rotated to .1; a log file that cannot be written is reported once and logging goes on', () => {
  const file = join(tmp, 'rotate.log');
  const log = createLogger({ level: 'info', file, maxFileBytes: 1000, now });
  for (let i = 0; i < 2000; i++) log.info(`line ${i} ${'x'.repeat(60)}`);
  assert.ok(existsSync(`${file}.1`), 'rotated');
  assert.ok(readFileSync(file, 'utf8').length < 200_000);

  const blocker = join(tmp, 'not-a-dir');
  writeFileSync(blocker, '');
  const stderr: string[] = [];
  const broken = createLogger({ level: 'info', file: join(blocker, 'x.log'), stderrLevel: 'error', stderr: { write: (t: string) => stderr.push(t) } });
  broken.info('one');
  broken.info('two');
  broken.error('still on stderr');
  assert.equal(stderr.filter((l) => l.includes('cannot write the log file')).length, 1);
  assert.ok(stderr.some((l) => l.includes('still on stderr')));
});

test('the silent logger writes nothing and says so', () => {
  assert.equal(silentLogger.enabled('error'), false);
  silentLogger.error('nowhere');
});
