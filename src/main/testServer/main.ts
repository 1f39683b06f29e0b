// Runs the test server by hand: `node --import tsx src/main/testServer/main.ts [--port N]`
// then open the printed URL (it carries this run's token) in a browser to use the renderer
// against the real engine. Without --port the system picks a free one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer } from './index';

const { values } = parseArgs({ options: { port: { type: 'string' }, state: { type: 'string' }, renderer: { type: 'string' }, python: { type: 'string' } } });
const root = new URL('../../..', import.meta.url).pathname;
const server = await startTestServer({
  rendererDir: values.renderer ?? join(root, 'out/renderer'),
  stateDir: values.state ?? mkdtempSync(join(tmpdir(), 'provenance-state-')),
  port: values.port ? Number(values.port) : 0,
  python: values.python ?? process.env.PROVENANCE_PYTHON,
});
console.log(`listening ${server.url}\nopen ${server.appUrl}`);
