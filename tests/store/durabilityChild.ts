// Child process for durability.test.ts: records one result per transaction, forever, and after
// each commit prints "committed <n>" so the parent knows what must survive a SIGKILL.
// Usage: node --import tsx durabilityChild.ts <caseDir> <runId>
import { openCaseDatabase } from '../../src/main/store/open';
import { okRecord, score } from './helpers';

const [caseDir, runIdArg] = process.argv.slice(2);
if (!caseDir || !runIdArg) {
  process.stderr.write('usage: durabilityChild.ts <caseDir> <runId>\n');
  process.exit(2);
}
const runId = Number(runIdArg);
const store = openCaseDatabase(caseDir, { actor: 'durability-child' });
const pending = store.listEvidence({ sort: 'time' });
process.stdout.write('ready\n');
let committed = 0;
for (const item of pending) {
  const cropScores = Array.from({ length: 64 }, (_, i) => ((item.id * 31 + i) % 100) / 100);
  store.recordResult(runId, item.id, okRecord(item.metadata!, [{ ...score('gen-a', cropScores[0]!), cropScores }, score('gen-b', 0.5)]));
  committed++;
  // process.stdout on a pipe is synchronous on Linux: the line is out before the next result starts.
  process.stdout.write(`committed ${committed}\n`);
}
process.stdout.write('done\n');
store.close();
