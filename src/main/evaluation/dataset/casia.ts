// CASIA v1/v2 tampering datasets: Au/ (authentic) and Tp/ (tampered; Sp/ in some v1 copies),
// with an optional ground-truth folder (a name containing "gt", "mask" or "groundtruth") whose
// masks pair with tampered images by file stem, a trailing _gt or _mask ignored:
//   Tp/Tp_D_NRN_S_N_ani00018_sec00096_00138.tif ↔ masks/Tp_D_NRN_S_N_ani00018_sec00096_00138_gt.png
// Groups tie every tampered image to the authentic images it was made from (groups.ts), so a
// split cannot train on a photo and validate on its splice. The source of a table row is the
// content category of the (first) source image: ani, arc, art, cha, ind, nat, pla, sec, txt.
import path from 'node:path';
import type { LabelledItem } from '../../../contract/evaluation';
import { ignoredFilesProblem, listImages, subfolders } from './files';
import { casiaSourceKeys, KeyGroups } from './groups';
import { oneClassSourceWarnings, type LayoutScan } from './scan';

export interface CasiaFolders {
  au: string;
  tp: string;
  masks: string[];
}

const MASK_FOLDER = /gt|mask|ground.?truth/i;
const MASK_SUFFIX = /[_-](gt|mask)$/i;

export async function findCasiaFolders(root: string): Promise<CasiaFolders | null> {
  const names = await subfolders(root);
  const au = names.find((n) => /^au$/i.test(n));
  const tp = names.find((n) => /^(tp|sp)$/i.test(n));
  if (!au || !tp) return null;
  const masks = names.filter((n) => n !== au && n !== tp && MASK_FOLDER.test(n));
  return { au: path.join(root, au), tp: path.join(root, tp), masks: masks.map((n) => path.join(root, n)) };
}

function stemOf(file: string): string {
  const base = path.basename(file);
  const ext = path.extname(base);
  return ext ? base.slice(0, -ext.length) : base;
}

export const CASIA_NAME = 'CASIA (Au/ authentic, Tp/ tampered, optional ground-truth masks folder)';
export const CASIA_GROUPING =
  'A tampered image shares a group with the authentic images named in its file name (Tp_D_NRN_S_N_ani00018_sec00096_00138 ties to Au_ani_00018 and Au_sec_00096), joined transitively; a name outside the convention is its own group.';

export async function scanCasia(root: string, folders: CasiaFolders): Promise<LayoutScan> {
  const scan: LayoutScan = { layout: 'casia', layoutName: CASIA_NAME, grouping: CASIA_GROUPING, base: root, items: [], problems: [] };
  const groups = new KeyGroups();
  const keysOf = new Map<LabelledItem, string[]>();
  const unparsed: string[] = [];
  const ignored: string[] = [];

  for (const [dir, tampered] of [[folders.au, false], [folders.tp, true]] as const) {
    const listing = await listImages(dir);
    scan.problems.push(...listing.problems);
    ignored.push(...listing.ignored);
    for (const image of listing.images) {
      const parsed = casiaSourceKeys(path.basename(image), tampered);
      const item: LabelledItem = {
        path: image,
        label: tampered ? 1 : 0,
        source: parsed?.category ?? 'CASIA',
        group: path.relative(root, image).split(path.sep).join('/'),
      };
      if (tampered) item.task = 'manipulated';
      if (parsed) {
        groups.join(parsed.keys);
        keysOf.set(item, parsed.keys);
      } else {
        unparsed.push(path.relative(root, image));
      }
      scan.items.push(item);
    }
  }
  for (const [item, keys] of keysOf) item.group = groups.groupOf(keys[0]);

  const masks = new Map<string, string>();
  for (const dir of folders.masks) {
    const listing = await listImages(dir);
    scan.problems.push(...listing.problems);
    for (const mask of listing.images) masks.set(stemOf(mask).replace(MASK_SUFFIX, ''), mask);
  }
  if (folders.masks.length > 0) {
    const used = new Set<string>();
    let tamperedWithout = 0;
    for (const item of scan.items) {
      if (item.label !== 1) continue;
      const mask = masks.get(stemOf(item.path));
      if (mask) {
        item.maskPath = mask;
        used.add(mask);
      } else tamperedWithout++;
    }
    if (tamperedWithout > 0) scan.problems.push({ severity: 'warning', message: `${tamperedWithout} tampered image(s) have no ground-truth mask in ${folders.masks.map((d) => path.basename(d)).join(', ')}` });
    const orphans = [...masks.values()].filter((m) => !used.has(m));
    if (orphans.length > 0) {
      scan.problems.push({
        severity: 'warning',
        message: `${orphans.length} mask(s) match no tampered image by file stem, e.g. ${orphans.slice(0, 3).map((m) => path.relative(root, m)).join(', ')}`,
      });
    }
  }
  if (unparsed.length > 0) {
    scan.problems.push({
      severity: 'warning',
      message: `${unparsed.length} file name(s) do not follow the CASIA convention (Au_<cat>_<n>, Tp_…_<src1>_<src2>_<id>), each is its own group and source "CASIA", e.g. ${unparsed.slice(0, 3).join(', ')}`,
    });
  }
  const skipped = ignoredFilesProblem(ignored, root);
  if (skipped) scan.problems.push(skipped);
  scan.problems.push(...oneClassSourceWarnings(scan.items));
  return scan;
}
