// Which images belong together, so a split never puts near-duplicates on both sides.
//
// Video frames (every layout):
//   - "<video>_frame0001.jpg" (also "-frame-12", " frame7", any case) → group "<video>";
//   - in a folder layout, numbered files in a sub-folder of the label folder, such as
//     "fake/<video>/0001.jpg" or "<video>/frame_12.png" → group "<video>". The label folder is not
//     part of the group, so real and fake frames of the same video stay together.
// CASIA v1/v2 (see casiaSourceKeys): a tampered image and the authentic images it was made from
// share a group, joined transitively (a splice of A into B ties A's and B's groups).
// Anything else is its own group.

import path from 'node:path';

const FRAME_SUFFIX = /^(.*?)[ _.-]*frame[ _-]?\d+$/i;
const NUMBERED_FRAME = /^(?:frame[ _-]?)?\d+$/i;

function stem(fileName: string): string {
  const ext = path.extname(fileName);
  return ext ? fileName.slice(0, -ext.length) : fileName;
}

/**
 * The group of a file found below a label folder.
 * @param prefix folders between the dataset root and the label folder (generator, category)
 * @param subdirs folders between the label folder and the file
 * @param ownId the file's own id, used when no rule applies (its path relative to the root)
 */
export function folderItemGroup(prefix: readonly string[], subdirs: readonly string[], fileName: string, ownId: string): string {
  const name = stem(fileName);
  const framed = FRAME_SUFFIX.exec(name);
  if (framed && framed[1]) return [...prefix, ...subdirs, framed[1]].join('/');
  if (subdirs.length > 0 && NUMBERED_FRAME.test(name)) return [...prefix, ...subdirs].join('/');
  return ownId;
}

/** The group of a manifest row without a group column: the frame-name rule, else the file itself. */
export function manifestItemGroup(relativePath: string): string {
  const dir = path.dirname(relativePath);
  const framed = FRAME_SUFFIX.exec(stem(path.basename(relativePath)));
  if (framed && framed[1]) return dir === '.' ? framed[1] : `${dir.split(path.sep).join('/')}/${framed[1]}`;
  return relativePath.split(path.sep).join('/');
}

const CASIA_AUTHENTIC = /^Au_([a-z]+)_(\d+)$/i;
const CASIA_TAMPERED_PREFIX = /^(Tp|Sp)_/i;
const CASIA_SOURCE_ID = /^([a-z]{3})(\d+)$/i;

function casiaKey(category: string, digits: string): string {
  // Leading zeros differ between CASIA versions (ani0049 vs ani00049): compare numbers.
  return `${category.toLowerCase()}${Number.parseInt(digits, 10)}`;
}

/**
 * Source-image keys in a CASIA file name, or null when the name does not follow the convention.
 *   Authentic  Au_<category>_<number>             Au_ani_00018.jpg → ["ani18"]
 *   Tampered   Tp_<codes…>_<src1>_<src2>_<id>     Tp_D_NRN_S_N_ani00018_sec00096_00138.tif → ["ani18", "sec96"]
 *              (CASIA v1 uses Sp_ and one code less: Sp_D_NRN_A_ani0049_ani0102_0267.jpg)
 * A source id is three letters (the content category: ani, arc, art, cha, ind, nat, pla, sec,
 * txt) followed by the number of the authentic image; copy-move images name the same source twice.
 */
export function casiaSourceKeys(fileName: string, tampered: boolean): { keys: string[]; category: string } | null {
  const name = stem(fileName);
  if (!tampered) {
    const m = CASIA_AUTHENTIC.exec(name);
    return m ? { keys: [casiaKey(m[1], m[2])], category: m[1].toLowerCase() } : null;
  }
  if (!CASIA_TAMPERED_PREFIX.test(name)) return null;
  const ids = name.split('_').map((t) => CASIA_SOURCE_ID.exec(t)).filter((m): m is RegExpExecArray => m !== null);
  if (ids.length === 0) return null;
  return { keys: [...new Set(ids.map((m) => casiaKey(m[1], m[2])))], category: ids[0][1].toLowerCase() };
}

/** Union–find over string keys; a component is named by its smallest key, so names are stable. */
export class KeyGroups {
  private readonly parent = new Map<string, string>();

  private find(key: string): string {
    let root = key;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    // Path compression keeps later lookups flat.
    let k = key;
    while (k !== root) {
      const next = this.parent.get(k)!;
      this.parent.set(k, root);
      k = next;
    }
    return root;
  }

  /** Puts all keys in one group. */
  join(keys: readonly string[]): void {
    for (const k of keys) if (!this.parent.has(k)) this.parent.set(k, k);
    for (let i = 1; i < keys.length; i++) {
      const a = this.find(keys[0]);
      const b = this.find(keys[i]);
      if (a === b) continue;
      // The smaller key becomes the root, so the component's name is its smallest key.
      if (a < b) this.parent.set(b, a);
      else this.parent.set(a, b);
    }
  }

  groupOf(key: string): string {
    return this.parent.has(key) ? this.find(key) : key;
  }
}
