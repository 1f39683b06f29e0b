import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** SHA-256 (lower-case hex) of bytes already in memory. */
export function sha256Buffer(bytes: Buffer | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * SHA-256 (lower-case hex) of a file, streamed so that large files never sit in memory.
 * The file is opened read-only ('r'); evidence is never opened for writing.
 */
export function sha256File(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(filePath, { flags: 'r' });
    stream.on('error', reject);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/** A file read for use, checked against the SHA-256 it had when it was ingested. */
export type VerifiedRead =
  | { ok: true; bytes: Buffer }
  | { ok: false; problem: 'missing' | 'changed' | 'unreadable'; message: string };

/**
 * Evidence is verified on use: the bytes are read once, hashed, and handed out only when they
 * still have their ingest SHA-256. A swapped or edited file is reported, never shown or
 * analysed as the evidence.
 */
export async function readVerified(filePath: string, expectedSha256: string, what = filePath): Promise<VerifiedRead> {
  let bytes: Buffer;
  try {
    bytes = await readFile(filePath, { flag: 'r' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, problem: 'missing', message: `${what} is no longer at ${filePath}.` };
    return { ok: false, problem: 'unreadable', message: `${what} cannot be read (${(err as Error).message}).` };
  }
  const actual = sha256Buffer(bytes);
  if (actual !== expectedSha256) {
    return { ok: false, problem: 'changed', message: `${what} has changed on disk since it was imported (SHA-256 ${actual.slice(0, 16)}…, expected ${expectedSha256.slice(0, 16)}…); verify the case.` };
  }
  return { ok: true, bytes };
}
