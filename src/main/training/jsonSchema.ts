// The training job and trainer event schemas of the contract as JSON Schema (draft 2020-12), for
// the Python trainer: it validates jobs and fills in defaults from job.schema.json, and its unit
// tests check every event it emits against events.schema.json. `npm run schema:training` writes
// them; tests/training/jsonSchema.test.ts fails when the committed files are stale.
import { join } from 'node:path';
import { z } from 'zod';
import { TRAINER_PROTOCOL, trainerEventSchema, trainingJobSchema } from '../../contract/training';

export const SCHEMA_FILES = { job: 'job.schema.json', events: 'events.schema.json' } as const;

/** resources/training/provenance_train/schema, next to the code that reads it. */
export function schemaDir(trainingDir: string): string {
  return join(trainingDir, 'provenance_train', 'schema');
}

function withHeader(schema: Record<string, unknown>, title: string): Record<string, unknown> {
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title,
    $comment: 'GENERATED from src/contract/training.ts by `npm run schema:training`; do not edit by hand.',
    'x-protocol': TRAINER_PROTOCOL,
    ...rest,
  };
}

/** File name → text, exactly as committed. */
export function trainingJsonSchemas(): Record<string, string> {
  // Jobs are validated as written (defaults may be missing), events as the app reads them.
  const job = withHeader(z.toJSONSchema(trainingJobSchema, { io: 'input' }) as Record<string, unknown>, 'Provenance Lab training job');
  const events = withHeader(z.toJSONSchema(trainerEventSchema, { io: 'output' }) as Record<string, unknown>, 'Provenance Lab trainer event (one JSON line)');
  return {
    [SCHEMA_FILES.job]: `${JSON.stringify(job, null, 2)}\n`,
    [SCHEMA_FILES.events]: `${JSON.stringify(events, null, 2)}\n`,
  };
}
