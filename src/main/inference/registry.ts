// Reads one model folder: every <modelsDir>/<id>/ holding manifest.json + model.onnx. Which
// folders, and which trained version replaces which model, is the catalogue's business.
// A model whose manifest is wrong or whose file does not match its SHA-256 is listed as
// 'invalid' with the reason, so the app can show it greyed out instead of refusing to start.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../ingest/hash';
import { checkManifest, type ModelManifest } from './manifest';

export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.json';

interface RegisteredBase {
  /** The model's directory name. */
  id: string;
  dir: string;
  modelPath: string;
}

export type RegisteredModel =
  | (RegisteredBase & { status: 'ok'; manifest: ModelManifest; problem?: undefined })
  /** manifest is absent when the manifest itself is what is broken; use `id` to name the model. */
  | (RegisteredBase & { status: 'invalid'; manifest?: ModelManifest; problem: string });

async function registerOne(modelsDir: string, id: string): Promise<RegisteredModel> {
  const dir = join(modelsDir, id);
  const base = { id, dir, modelPath: join(dir, MODEL_FILE) };
  const invalid = (problem: string, manifest?: ModelManifest): RegisteredModel => ({ ...base, status: 'invalid', problem, manifest });

  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return invalid(`no ${MANIFEST_FILE} in ${dir}`);
    return invalid(`${MANIFEST_FILE} is not valid JSON (${(err as Error).message})`);
  }

  const check = checkManifest(json);
  if (!check.ok) return invalid(`${MANIFEST_FILE} is invalid: ${check.problems.join('; ')}`);
  const manifest = check.manifest;
  if (manifest.id !== id) return invalid(`manifest id "${manifest.id}" does not match its directory name "${id}"`, manifest);

  let actual: string;
  try {
    actual = await sha256File(base.modelPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return invalid(code === 'ENOENT' ? `${MODEL_FILE} is missing from ${dir}` : `cannot read ${MODEL_FILE} (${(err as Error).message})`, manifest);
  }
  if (actual !== manifest.sha256) {
    return invalid(`${MODEL_FILE} has SHA-256 ${actual} but the manifest expects ${manifest.sha256}; the file was changed or replaced, reinstall the model`, manifest);
  }
  return { ...base, status: 'ok', manifest };
}

/** Every model directory under modelsDir, sorted by id; never throws for a bad model. */
export async function loadModelRegistry(modelsDir: string): Promise<RegisteredModel[]> {
  let entries;
  try {
    entries = await readdir(modelsDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  return Promise.all(ids.map((id) => registerOne(modelsDir, id)));
}
