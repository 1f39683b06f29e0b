// The user's trained model versions, next to (never inside) the bundled models:
//
//   <userModelsDir>/<modelId>/versions/r<N>/model.onnx, manifest.json, version.json (+ split.json, weights.pt)
//   <userModelsDir>/<modelId>/active.json   { active: "r3" | null, history: [...] }
//
// A new version is a candidate until activated; activating one makes the app score with it
// instead of the bundled model of that id; rollback returns to the previously active version
// (or the bundled model); discarding deletes a candidate's weights but keeps its record, so
// what was trained, on which data, stays traceable.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ActivationEntry, ModelRef, ModelVersion, ModelVersionList, VersionStatus } from '../../contract/training';
import { checkManifest, type ModelManifest } from '../inference/manifest';
import { MANIFEST_FILE, MODEL_FILE, type RegisteredModel } from '../inference/registry';
import { sha256File } from '../ingest/hash';

export const VERSION_FILE = 'version.json';
export const ACTIVE_FILE = 'active.json';
export const WEIGHTS_FILE = 'weights.pt';
export const SPLIT_FILE = 'split.json';

const VERSION_ID = /^r(\d+)$/;
const MODEL_ID = /^[a-z0-9][a-z0-9._-]*$/;

export class VersionError extends Error {
  override name = 'VersionError';
}

interface ActiveFile {
  active: string | null;
  history: ActivationEntry[];
}

/** What version.json stores: the record without what is derived on reading. */
type StoredVersion = Omit<ModelVersion, 'status' | 'dir'> & { discardedAt?: string };

/** Everything a new version needs; files are copied into the version folder. */
export interface NewVersion extends Omit<StoredVersion, 'version' | 'createdAt' | 'sha256' | 'discardedAt'> {
  files: {
    onnx: string;
    /** The manifest (object or path); its id and version are set here, its SHA-256 checked. */
    manifest: string | ModelManifest;
    weights?: string;
    split?: string;
  };
}

const modelDir = (root: string, modelId: string) => join(root, modelId);
const versionDir = (root: string, modelId: string, version: string) => join(root, modelId, 'versions', version);

function checkIds(modelId: string, version?: string): void {
  if (!MODEL_ID.test(modelId)) throw new VersionError(`"${modelId}" is not a model id (a-z, 0-9, ".", "_", "-").`);
  if (version !== undefined && !VERSION_ID.test(version)) throw new VersionError(`"${version}" is not a version (r1, r2, ...).`);
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

async function readActive(root: string, modelId: string): Promise<ActiveFile> {
  try {
    return JSON.parse(await readFile(join(modelDir(root, modelId), ACTIVE_FILE), 'utf8')) as ActiveFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { active: null, history: [] };
    throw new VersionError(`${join(modelDir(root, modelId), ACTIVE_FILE)} is unreadable: ${(err as Error).message}`);
  }
}

function statusOf(stored: StoredVersion, active: ActiveFile): VersionStatus {
  if (stored.discardedAt) return 'discarded';
  if (active.active === stored.version) return 'active';
  return active.history.some((h) => h.version === stored.version) ? 'retired' : 'candidate';
}

async function readVersion(root: string, modelId: string, version: string, active: ActiveFile): Promise<ModelVersion> {
  const dir = versionDir(root, modelId, version);
  let stored: StoredVersion;
  try {
    stored = JSON.parse(await readFile(join(dir, VERSION_FILE), 'utf8')) as StoredVersion;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new VersionError(`Model ${modelId} has no version ${version}.`);
    throw new VersionError(`${join(dir, VERSION_FILE)} is unreadable: ${(err as Error).message}`);
  }
  return { ...stored, status: statusOf(stored, active), dir };
}

async function versionIds(root: string, modelId: string): Promise<string[]> {
  try {
    const names = await readdir(join(modelDir(root, modelId), 'versions'));
    return names.filter((n) => VERSION_ID.test(n)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Creates r<N+1> exclusively (mkdir fails if another writer took the number first). */
async function allocateVersion(root: string, modelId: string): Promise<string> {
  await mkdir(join(modelDir(root, modelId), 'versions'), { recursive: true });
  const existing = await versionIds(root, modelId);
  let n = existing.length ? Number(existing[existing.length - 1].slice(1)) + 1 : 1;
  for (;;) {
    try {
      await mkdir(versionDir(root, modelId, `r${n}`));
      return `r${n}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      n += 1;
    }
  }
}

/** Copies the files in and records the version as a candidate. */
export async function registerVersion(root: string, input: NewVersion): Promise<ModelVersion> {
  checkIds(input.modelId);
  const manifestJson: unknown = typeof input.files.manifest === 'string' ? JSON.parse(await readFile(input.files.manifest, 'utf8')) : input.files.manifest;
  const sha256 = await sha256File(input.files.onnx);
  const version = await allocateVersion(root, input.modelId);
  const dir = versionDir(root, input.modelId, version);
  try {
    const manifest = { ...(manifestJson as ModelManifest), id: input.modelId, version, sha256 };
    const check = checkManifest(manifest);
    if (!check.ok) throw new VersionError(`The trained model's manifest is invalid: ${check.problems.join('; ')}`);
    await copyFile(input.files.onnx, join(dir, MODEL_FILE));
    if (input.files.weights) await copyFile(input.files.weights, join(dir, WEIGHTS_FILE));
    if (input.files.split) await copyFile(input.files.split, join(dir, SPLIT_FILE));
    await writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
    const { files: _files, ...rest } = input;
    const stored: StoredVersion = { ...rest, version, createdAt: new Date().toISOString(), sha256 };
    await writeJsonAtomic(join(dir, VERSION_FILE), stored);
    return { ...stored, status: 'candidate', dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function getVersion(root: string, modelId: string, version: string): Promise<ModelVersion> {
  checkIds(modelId, version);
  return readVersion(root, modelId, version, await readActive(root, modelId));
}

/** Adds what was measured after registration (held-out metrics, the baseline comparison, a note). */
export async function updateVersion(root: string, modelId: string, version: string, patch: Partial<Pick<ModelVersion, 'metrics' | 'baseline' | 'note'>>): Promise<ModelVersion> {
  const current = await getVersion(root, modelId, version);
  const { status: _status, dir, ...stored } = current;
  const next = { ...stored, ...patch };
  await writeJsonAtomic(join(dir, VERSION_FILE), next);
  return { ...current, ...patch };
}

/** Versions of one model, or of every model in the directory, oldest first. */
export async function listModelVersions(root: string, modelId?: string): Promise<ModelVersionList[]> {
  let ids: string[];
  if (modelId !== undefined) {
    checkIds(modelId);
    ids = [modelId];
  } else {
    try {
      ids = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && MODEL_ID.test(e.name)).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
  const lists: ModelVersionList[] = [];
  for (const id of ids) {
    const active = await readActive(root, id);
    const versions = await Promise.all((await versionIds(root, id)).map((v) => readVersion(root, id, v, active)));
    if (versions.length > 0 || modelId !== undefined) lists.push({ modelId: id, active: active.active, versions, history: active.history });
  }
  return lists;
}

async function setActive(root: string, modelId: string, version: string | null, action: ActivationEntry['action']): Promise<ModelVersionList> {
  const active = await readActive(root, modelId);
  active.active = version;
  active.history.push({ version, at: new Date().toISOString(), action });
  await mkdir(modelDir(root, modelId), { recursive: true });
  await writeJsonAtomic(join(modelDir(root, modelId), ACTIVE_FILE), active);
  return (await listModelVersions(root, modelId))[0];
}

/**
 * Makes a version the one the app scores with (any earlier version too: that is how a
 * rollback to a chosen version is done). Null returns to the bundled model.
 */
export async function activateVersion(root: string, modelId: string, version: string | null): Promise<ModelVersionList> {
  checkIds(modelId, version ?? undefined);
  if (version !== null) {
    const v = await getVersion(root, modelId, version);
    if (v.status === 'discarded') throw new VersionError(`Version ${version} of ${modelId} was discarded; its weights are gone. Train again or pick another version.`);
    const model = await loadVersionModel(root, modelId, version);
    if (model.status !== 'ok') throw new VersionError(`Version ${version} of ${modelId} cannot be used: ${model.problem}`);
  }
  return setActive(root, modelId, version, version === null ? 'deactivate' : 'activate');
}

/**
 * Undoes the last activation: back to the version that was active before it (or the bundled
 * model), skipping versions discarded since. Repeated rollbacks walk further back.
 */
export async function rollbackVersion(root: string, modelId: string): Promise<ModelVersionList> {
  checkIds(modelId);
  const active = await readActive(root, modelId);
  if (active.history.length === 0 && active.active === null) throw new VersionError(`${modelId} has never had an active version; there is nothing to roll back.`);
  const discarded = new Set((await listModelVersions(root, modelId))[0].versions.filter((v) => v.status === 'discarded').map((v) => v.version));
  // Replay the history as a stack: activations push, a rollback pops down to where it went.
  const stack: (string | null)[] = [];
  for (const entry of active.history) {
    if (entry.action !== 'rollback') {
      stack.push(entry.version);
      continue;
    }
    stack.pop();
    while (stack.length > 0 && stack[stack.length - 1] !== entry.version) stack.pop();
  }
  stack.pop();
  while (stack.length > 0 && stack[stack.length - 1] !== null && discarded.has(stack[stack.length - 1]!)) stack.pop();
  const target = stack.length > 0 ? stack[stack.length - 1] : null;
  if (target === active.active) throw new VersionError(`${modelId} is already on ${target ?? 'the bundled model'}; there is nothing to roll back.`);
  return setActive(root, modelId, target, 'rollback');
}

/** Deletes a version's weights (the record stays). The active version cannot be discarded. */
export async function discardVersion(root: string, modelId: string, version: string): Promise<ModelVersionList> {
  const v = await getVersion(root, modelId, version);
  if (v.status === 'active') throw new VersionError(`Version ${version} of ${modelId} is active; activate another version or roll back first.`);
  if (v.status !== 'discarded') {
    const { status: _status, dir, ...stored } = v;
    await writeJsonAtomic(join(dir, VERSION_FILE), { ...stored, discardedAt: new Date().toISOString() });
    await rm(join(dir, MODEL_FILE), { force: true });
    await rm(join(dir, WEIGHTS_FILE), { force: true });
  }
  return (await listModelVersions(root, modelId))[0];
}

/**
 * A version as a registry entry that Detector.open accepts, validated like a bundled model
 * (manifest, id, SHA-256 of the ONNX file).
 */
export async function loadVersionModel(root: string, modelId: string, version: string): Promise<RegisteredModel> {
  checkIds(modelId, version);
  const dir = versionDir(root, modelId, version);
  const base = { id: modelId, dir, modelPath: join(dir, MODEL_FILE) };
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch (err) {
    return { ...base, status: 'invalid', problem: `cannot read ${join(dir, MANIFEST_FILE)}: ${(err as Error).message}` };
  }
  const check = checkManifest(json);
  if (!check.ok) return { ...base, status: 'invalid', problem: `${MANIFEST_FILE} is invalid: ${check.problems.join('; ')}` };
  const manifest = check.manifest;
  if (manifest.id !== modelId || manifest.version !== version) {
    return { ...base, status: 'invalid', manifest, problem: `manifest says ${manifest.id} ${manifest.version}, expected ${modelId} ${version}` };
  }
  if (!existsSync(base.modelPath)) return { ...base, status: 'invalid', manifest, problem: `${MODEL_FILE} is missing (discarded?)` };
  const actual = await sha256File(base.modelPath);
  if (actual !== manifest.sha256) return { ...base, status: 'invalid', manifest, problem: `${MODEL_FILE} has SHA-256 ${actual}, the manifest expects ${manifest.sha256}` };
  return { ...base, status: 'ok', manifest };
}

/** The folder of the active version of a model, or null when the bundled model is in use. */
export async function activeModelDir(root: string, modelId: string): Promise<string | null> {
  checkIds(modelId);
  const { active } = await readActive(root, modelId);
  return active === null ? null : versionDir(root, modelId, active);
}

/** Which version a registry entry is: null for a bundled model. */
export function versionOf(model: RegisteredModel): string | null {
  return basename(dirname(model.dir)) === 'versions' && VERSION_ID.test(basename(model.dir)) ? basename(model.dir) : null;
}

/** Lineage reference to a usable registry entry (a bundled model has version null). */
export function modelRefOf(model: RegisteredModel & { status: 'ok' }): ModelRef {
  return { modelId: model.manifest.id, version: versionOf(model), sha256: model.manifest.sha256 };
}
