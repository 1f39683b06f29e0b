// Writes the trainer's JSON Schemas (job and events) from the TypeScript contract. Run after
// changing TrainingJobSpec or TrainerEvent in src/contract/training.ts: npm run schema:training
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaDir, trainingJsonSchemas } from '../src/main/training/jsonSchema';

const dir = schemaDir(join(import.meta.dirname, '..', 'resources', 'training'));
for (const [name, text] of Object.entries(trainingJsonSchemas())) {
  writeFileSync(join(dir, name), text);
  console.log(`wrote ${join(dir, name)}`);
}
