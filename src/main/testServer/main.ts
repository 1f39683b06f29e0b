// Runs the test server by hand: `node --import tsx src/main/testServer/main.ts [--port 5174]`
// then open the printed URL in a browser to use the renderer against the real engine.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer } from './index';

const { values } = parseArgs({ options: { port: { type: 'string' }, state: { type: 'string' }, renderer: { type: 'string' } } });
const root = new URL('../../..', import.meta.url).pathname;
const server = await startTestServer({
  rendererDir: values.renderer ?? join(root, 'out/renderer'),
  stateDir: values.state ?? mkdtempSync(join(tmpdir(), 'provenance-state-')),
  port: values.port ? Number(values.port) : 5174,
});
console.log(`listening ${server.url}`);
