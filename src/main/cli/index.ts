import { analyzeCommand } from './analyze';
import { importCommand, verifyCommand } from './caseCommands';
import { evaluateCommand } from './evaluate';
import { modelsCommand } from './models';
import { reportCommand } from './report';
import { trainCommand } from './train';
import { versionsCommand } from './versions';
import { UsageError } from './usage';

const USAGE = `provenance — Provenance Lab's headless forensic engine

Usage:
  provenance analyze <file|folder>... --out results.jsonl [options]
  provenance models [--json]
  provenance import <case-folder> <file|folder>... [--name NAME ...]
  provenance verify <case-folder> [--json]
  provenance evaluate <dataset-folder|manifest.csv> [--models a,b] [--out eval.json] [--markdown eval.md] ...
  provenance report <case-folder> --out report.pdf [--items all|flagged|reviewed] [--ids 1,2,3]
  provenance train --job job.json [--resume] | --head --model ID --data FOLDER | --env
  provenance versions [ID] | activate ID VERSION | rollback ID | discard ID VERSION
  provenance help [command]

Run "provenance help analyze" for the analysis options.`;

export type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  analyze: analyzeCommand,
  models: modelsCommand,
  import: importCommand,
  verify: verifyCommand,
  evaluate: evaluateCommand,
  report: reportCommand,
  train: trainCommand,
  versions: versionsCommand,
};

/** Entry point: returns the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
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
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${command.help}`);
      return 2;
    }
    console.error(`provenance ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
