// The `provenance` command: an entry point. It takes the options every command shares (where
// models and settings are, which provider, --verbose), builds the configuration and the logger
// once, and hands them to the command.
import { ConfigError, installLayoutFrom, loadConfig, type Config, type ConfigOverrides } from '../config';
import { ModelCatalogue } from '../inference/catalogue';
import { createLogger, type Logger } from '../logger';
import { analyzeCommand } from './analyze';
import { anchorCommand, importCommand, relinkCommand, verifyCommand } from './caseCommands';
import { evaluateCommand } from './evaluate';
import { modelsCommand } from './models';
import { reportCommand } from './report';
import { trainCommand } from './train';
import { versionsCommand } from './versions';
import { withTerminalGuard } from './terminal';
import { UsageError } from './usage';

export const COMMON_OPTIONS = `Options every command takes (they override settings.json and PROVENANCE_* variables):
  --ep PROVIDER         auto, or one of webgpu, dml, coreml, cuda, cpu: where models run (auto
                        tries webgpu, then dml/coreml, then cpu; a named one must work)
  --max-pixels N        refuse images declaring more pixels than N
  --models-dir DIR      the installed detectors (default: the app's resources/models)
  --user-models DIR     trained model versions (default: <state folder>/models)
  --state-dir DIR       settings.json, trained models, training runs (default: the app's folder)
  --python PATH         the Python interpreter for training
  --chromium PATH       the Chromium/Chrome that prints reports
  --fixtures            also list and run the repository's test-fixture models (developer setting)
  --verbose             debug messages on stderr`;

const USAGE = `provenance — Provenance Lab's headless forensic engine

Usage:
  provenance analyze <file|folder>... --out results.jsonl [options]
  provenance models [--json]
  provenance import <case-folder> <file|folder>... [--name NAME ...]
  provenance verify <case-folder> [--expect-head SEQ:HASH] [--report report.pdf] [--json]
  provenance anchor <case-folder>
  provenance relink <case-folder> <folder>
  provenance evaluate <dataset-folder|manifest.csv> [--models a,b] [--out eval.json] [--markdown eval.md] ...
  provenance report <case-folder> --out report.pdf [--items all|flagged|reviewed] [--ids 1,2,3]
  provenance train --job job.json [--resume] | --head --model ID --data FOLDER | --env
  provenance versions [ID] | activate ID VERSION | rollback ID | discard ID VERSION
  provenance help [command]

${COMMON_OPTIONS}

The state folder (PROVENANCE_STATE_DIR, --state-dir) also holds this installation's audit-anchor
key and log, shared with the app.

Run "provenance help analyze" for the analysis options.`;

/** What a command gets from the entry point. */
export interface CliContext {
  config: Config;
  log: Logger;
  /** The models of this configuration (see inference/catalogue.ts). */
  catalogue: ModelCatalogue;
}

export type Command = (args: string[], cli: CliContext) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  analyze: analyzeCommand,
  models: modelsCommand,
  import: importCommand,
  verify: verifyCommand,
  anchor: anchorCommand,
  relink: relinkCommand,
  evaluate: evaluateCommand,
  report: reportCommand,
  train: trainCommand,
  versions: versionsCommand,
};

/** The shared options: name → how it changes the configuration (flags take no value). */
const GLOBAL_OPTIONS: Record<string, { flag?: true; apply: (o: ConfigOverrides & { verbose?: boolean }, value: string) => void }> = {
  ep: { apply: (o, v) => (o.provider = v) },
  'max-pixels': {
    apply: (o, v) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`--max-pixels must be a positive whole number, got "${v}"`);
      o.maxPixels = n;
    },
  },
  'models-dir': { apply: (o, v) => (o.modelsDir = v) },
  'user-models': { apply: (o, v) => (o.userModelsDir = v) },
  'state-dir': { apply: (o, v) => (o.stateDir = v) },
  python: { apply: (o, v) => (o.python = v) },
  chromium: { apply: (o, v) => (o.chromium = v) },
  fixtures: { flag: true, apply: (o) => (o.showFixtureModels = true) },
  verbose: { flag: true, apply: (o) => (o.verbose = true) },
};

/** Takes the shared options out of argv (anywhere before "--"), leaving the command's own. */
export function extractGlobalOptions(argv: string[]): { rest: string[]; overrides: ConfigOverrides; verbose: boolean } {
  const found: ConfigOverrides & { verbose?: boolean } = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const option = m ? GLOBAL_OPTIONS[m[1]] : undefined;
    if (!m || !option) {
      rest.push(arg);
      continue;
    }
    if (option.flag) {
      if (m[2] !== undefined) throw new UsageError(`--${m[1]} takes no value`);
      option.apply(found, '');
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${m[1]} needs a value`);
      i += 1;
    }
    option.apply(found, value);
  }
  const { verbose, ...overrides } = found;
  return { rest, overrides, verbose: verbose ?? false };
}

/** Entry point: returns the process exit code (0 ok, 1 failure, 2 usage error). */
/** `env`: the environment to configure from (default: this process's, read by config.ts). */
export async function main(argv: string[], env?: Record<string, string | undefined>): Promise<number> {
  // Every line the command prints has terminal control characters escaped (file names are data).
  return withTerminalGuard(() => dispatch(argv, env));
}

async function dispatch(argv: string[], env: Record<string, string | undefined> | undefined): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = args[0] && COMMANDS[args[0]];
    console.log(topic ? `${topic.help}\n\n${COMMON_OPTIONS}` : USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${command.help}\n\n${COMMON_OPTIONS}`);
    return 0;
  }
  let cli: CliContext;
  let rest: string[];
  try {
    const global = extractGlobalOptions(args);
    rest = global.rest;
    const config = loadConfig({ install: installLayoutFrom(import.meta.url), env, overrides: global.overrides, overridesSource: 'command line' });
    // The CLI reports on stderr (no log file: a command run must not write into the app's folder).
    const log = createLogger({ level: 'error', file: null, stderrLevel: global.verbose ? 'debug' : 'warn', stderrTimestamps: false });
    for (const problem of config.problems) log.warn(problem);
    log.debug('configuration', { stateDir: config.stateDir, modelDirs: config.modelDirs, userModelsDir: config.userModelsDir, provider: config.provider, sources: config.sources });
    cli = { config, log, catalogue: ModelCatalogue.fromConfig(config, log.child('models')) };
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`provenance ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  try {
    return await command.run(rest, cli);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${command.help}`);
      return 2;
    }
    cli.log.debug(`provenance ${name} failed`, { error: err, stack: err instanceof Error ? err.stack : undefined });
    console.error(`provenance ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
