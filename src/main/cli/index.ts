import { resolve } from 'node:path';
import { defaultStateDir } from '../training/paths';
import { analyzeCommand } from './analyze';
import { anchorCommand, importCommand, verifyCommand } from './caseCommands';
import { evaluateCommand } from './evaluate';
import { modelsCommand } from './models';
import { reportCommand } from './report';
import { trainCommand } from './train';
import { versionsCommand } from './versions';
import { withTerminalGuard } from './terminal';
import { UsageError } from './usage';

const USAGE = `provenance — Provenance Lab's headless forensic engine

Usage:
  provenance analyze <file|folder>... --out results.jsonl [options]
  provenance models [--json]
  provenance import <case-folder> <file|folder>... [--name NAME ...]
  provenance verify <case-folder> [--expect-head SEQ:HASH] [--report report.pdf] [--json]
  provenance anchor <case-folder>
  provenance evaluate <dataset-folder|manifest.csv> [--models a,b] [--out eval.json] [--markdown eval.md] ...
  provenance report <case-folder> --out report.pdf [--items all|flagged|reviewed] [--ids 1,2,3]
  provenance train --job job.json [--resume] | --head --model ID --data FOLDER | --env
  provenance versions [ID] | activate ID VERSION | rollback ID | discard ID VERSION
  provenance help [command]

Run "provenance help analyze" for the analysis options.

Environment: PROVENANCE_STATE_DIR is the folder with this installation's audit-anchor key and
log (default: the desktop app's own, e.g. ~/.config/Provenance Lab), shared with the app.
PROVENANCE_CHROMIUM is the Chromium, Chrome or Edge that prints reports (default: the usual
install locations of this platform).`;

/** What the entry point decides once and hands to every command. */
export interface CliContext {
  /** The installation's state folder: audit-anchor key and log (the app's userData). */
  stateDir: string;
  /** The browser that prints reports ($PROVENANCE_CHROMIUM); default: the usual places of this platform. */
  browser?: string;
  /** Where the packaged app keeps its resources (models, the report page), when the CLI runs from it. */
  resourcesDir?: string;
}

export type Command = (args: string[], ctx: CliContext) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  analyze: analyzeCommand,
  models: modelsCommand,
  import: importCommand,
  verify: verifyCommand,
  anchor: anchorCommand,
  evaluate: evaluateCommand,
  report: reportCommand,
  train: trainCommand,
  versions: versionsCommand,
};

/** Entry point: returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx: CliContext = {
    stateDir: env.PROVENANCE_STATE_DIR ? resolve(env.PROVENANCE_STATE_DIR) : defaultStateDir(env),
    browser: env.PROVENANCE_CHROMIUM || undefined,
  };
  return withTerminalGuard(() => dispatch(argv, ctx));
}

async function dispatch(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] && COMMANDS[rest[0]];
    console.log(topic ? topic.help : USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${command.help}`);
      return 2;
    }
    console.error(`provenance ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
