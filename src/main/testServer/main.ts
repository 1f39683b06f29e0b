// Runs the test server by hand: `node --import tsx src/main/testServer/main.ts [--port N]`
// then open the printed URL (it carries this run's token) in a browser to use the renderer
// against the real engine. Without --port the system picks a free one. An entry point: it
// builds the configuration (defaults < settings file < PROVENANCE_* < these options) and the
// logger once, and hands them down.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigStore, installLayoutFrom } from '../config';
import { createLogger } from '../logger';
import { startTestServer } from './index';

const { values } = parseArgs({
  options: { port: { type: 'string' }, state: { type: 'string' }, renderer: { type: 'string' }, python: { type: 'string' }, 'show-fixtures': { type: 'boolean' }, verbose: { type: 'boolean' } },
});
const config = new ConfigStore({
  install: installLayoutFrom(import.meta.url),
  // A fresh state folder unless one is named: a hand-run server must not touch the app's own.
  overrides: { stateDir: values.state ?? mkdtempSync(join(tmpdir(), 'provenance-state-')), rendererDir: values.renderer, python: values.python, showFixtureModels: values['show-fixtures'] },
});
const log = createLogger({ level: config.current.logLevel, file: config.current.logFile, stderrLevel: values.verbose ? 'debug' : 'warn' });
for (const problem of config.current.problems) log.warn(problem);
const server = await startTestServer({ config, log, port: values.port ? Number(values.port) : 0 });
console.log(`listening ${server.url} (state ${config.current.stateDir}, log ${config.current.logFile})\nopen ${server.appUrl}`);
