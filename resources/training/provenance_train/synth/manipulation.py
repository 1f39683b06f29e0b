"""Manipulated-image training data synthesised from authentic photos, each forgery with its mask.

Why synthesise: only 52 CASIA v2 and 200 IMD2020 images exist here, and they are the evaluation
set (never trained on). Authentic photos are plentiful enough (photos/ and cameras/), so the
forgeries are made from them:

- splice: a region of another photo (same split), rescaled or not, with its own compression
  history, hard or feathered edges, optionally colour-matched to its new surroundings;
- copy-move: a region of the same photo moved, with rotation and/or scaling;
- retouch: a region blurred, sharpened, median-filtered, inpainted (object removal by
  normalised convolution plus matched noise), clone-stamped, or colour-adjusted.

Every image, authentic or forged, goes through the SAME randomised history so that no trace
but the local edit tells the classes apart: optional resampling of the source, a crop, an
optional first JPEG compression (quality 55-98), [the edit, forged class only], optional global
resampling / tone change / blur, and a final save as JPEG (quality 60-100), PNG or TIFF with the
same probabilities for both classes. The container therefore never tells the class.

Splits are made on source photos before anything is synthesised: near-duplicate photos
(perceptual hash, see phash.py) form one group, groups are assigned by a seeded hash, and a
forgery only ever uses photos of its own split (target and donor). Outputs:

  <out>/<split>/<real|fake>/<group>/<name>.<jpg|png|tif>
  <out>/masks/<split>/<group>/<name>.png            (255 = tampered; fakes only)
  <out>/items.csv          one row per image (path,label,group,source,mask,split,... history)
  <out>/sources.csv        one row per source photo (hashes, group, split)
  <out>/report.json        counts per split/label/kind/format, duplicate counts, parameters
"""
import csv
import hashlib
import io
import json
import math
import os
import random
import time

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from . import phash
from .regions import alpha_of, blob, overlap, place, region_size

SPLITS = ("train", "val")
PHOTO_FOLDERS = ("photos/cbsd68", "photos/sun_hays80", "photos/mcmaster18")
MIN_SIDE = 256
MAX_CROP = 768
KINDS = ("splice", "copy-move", "retouch")
KIND_WEIGHTS = (0.4, 0.3, 0.3)
RETOUCH = ("blur", "sharpen", "median", "inpaint", "clone", "colour")
RETOUCH_WEIGHTS = (0.2, 0.15, 0.1, 0.2, 0.2, 0.15)
RESAMPLE = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
# Final container, identical for both classes.
FINAL_FORMATS = (("jpeg", 0.6), ("png", 0.2), ("tiff", 0.2))
EXT = {"jpeg": "jpg", "png": "png", "tiff": "tif"}


class SynthError(Exception):
    pass


def _sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def _choice(rng, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


# ---- sources ------------------------------------------------------------------------------

def list_sources(shared):
    """Authentic photos: photos/* and the camera JPEGs (camera originals and software-edited
    re-saves; both are authentic content) at least 256 px on each side."""
    datasets = os.path.join(shared, "datasets")
    found = []
    for folder in PHOTO_FOLDERS:
        root = os.path.join(datasets, folder)
        if not os.path.isdir(root):
            raise SynthError("%s is missing: the manipulation data is made from ../shared/datasets/%s" % (root, folder))
        for name in sorted(os.listdir(root)):
            if name.lower().endswith((".png", ".jpg", ".jpeg", ".tif", ".tiff")):
                found.append({"path": os.path.join(root, name), "collection": folder.split("/")[1]})
    index = os.path.join(datasets, "cameras", "INDEX.csv")
    if os.path.exists(index):
        with open(index, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if int(row["width"]) >= MIN_SIDE and int(row["height"]) >= MIN_SIDE:
                    found.append({"path": os.path.join(datasets, "cameras", row["file"]),
                                  "collection": "cameras" if row["kind"] == "camera" else "cameras-edited"})
    return found


def decode(path):
    with Image.open(path) as img:
        img.seek(0)
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(white, rgba)
        return img.convert("RGB")


def evaluation_hashes(shared):
    """Hashes of the real manipulated datasets (the evaluation set), to prove none of their
    pictures is also a training source."""
    out = []
    root = os.path.join(shared, "datasets", "manipulated")
    if not os.path.isdir(root):
        return out
    for dirpath, _dirs, files in os.walk(root):
        if os.path.basename(dirpath) == "masks":
            continue
        for name in sorted(files):
            if name.lower().endswith((".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")):
                path = os.path.join(dirpath, name)
                try:
                    out.append((os.path.relpath(path, root), phash.hashes(decode(path))))
                except OSError:
                    continue
    return out


def group_and_split(sources, seed, val_fraction):
    """Exact (pixel) and near duplicates joined into groups; groups split by a seeded hash,
    per collection, so each split sees every kind of photo."""
    n = len(sources)
    uf = phash.DuplicateGroups(n)
    exact = 0
    by_pixels = {}
    for i, s in enumerate(sources):
        if s["pixelSha256"] in by_pixels:
            uf.union(by_pixels[s["pixelSha256"]], i)
            exact += 1
        else:
            by_pixels[s["pixelSha256"]] = i
    pairs = phash.near_duplicate_pairs([s["hashes"] for s in sources])
    merged = sum(1 for i, j, _d, _p in pairs if uf.union(i, j))
    groups = {}
    for i, s in enumerate(sources):
        root = uf.find(i)
        s["group"] = "g%03d-%s" % (root, os.path.splitext(os.path.basename(sources[root]["path"]))[0][:40])
        groups.setdefault(s["group"], []).append(s)
    # Split per collection (the collection of the group's first member).
    by_collection = {}
    for g, members in groups.items():
        by_collection.setdefault(members[0]["collection"], []).append(g)
    for collection, names in by_collection.items():
        names.sort(key=lambda g: hashlib.sha256(("%d:%s" % (seed, g)).encode()).hexdigest())
        total = sum(len(groups[g]) for g in names)
        target = int(round(val_fraction * total))
        in_val = 0
        for g in names:
            side = "val" if in_val < target and in_val + len(groups[g]) <= target + 1 else "train"
            if side == "val":
                in_val += len(groups[g])
            for s in groups[g]:
                s["split"] = side
    return {"exactDuplicates": exact, "nearDuplicatePairs": len(pairs), "groupsMergedByNearDuplicates": merged,
            "groups": len(groups), "pairs": [(sources[i]["name"], sources[j]["name"], d, p) for i, j, d, p in pairs]}


# ---- image operations ---------------------------------------------------------------------

def jpeg(img, quality, rng, offset=True):
    """JPEG round trip; the 8x8 grid may start off the image corner (as in a crop of a
    compressed photo), so later crops do not always align with it."""
    subsampling = 2 if rng.random() < 0.7 else 0
    if offset and rng.random() < 0.5:
        dx, dy = rng.randint(0, 7), rng.randint(0, 7)
        canvas = Image.new("RGB", (img.width + dx, img.height + dy))
        canvas.paste(img, (dx, dy))
        buf = io.BytesIO()
        canvas.save(buf, "JPEG", quality=int(quality), subsampling=subsampling)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB").crop((dx, dy, dx + img.width, dy + img.height))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(quality), subsampling=subsampling)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def resample_kernel(rng):
    return RESAMPLE[rng.choice(sorted(RESAMPLE))]


def random_crop(img, rng, max_side=MAX_CROP):
    w = rng.randint(MIN_SIDE, max(MIN_SIDE, min(max_side, img.width)))
    h = rng.randint(MIN_SIDE, max(MIN_SIDE, min(max_side, img.height)))
    # Aspect ratio within 1:2 .. 2:1.
    h = max(MIN_SIDE, min(h, 2 * w, img.height))
    w = max(MIN_SIDE, min(w, 2 * h, img.width))
    x, y = rng.randint(0, img.width - w), rng.randint(0, img.height - h)
    return img.crop((x, y, x + w, y + h))


def composite(base, patch, alpha, x, y):
    """Alpha-blends patch (PIL) into base (PIL) at (x, y); returns the new image and the
    full-size float alpha."""
    arr = np.asarray(base, dtype=np.float32).copy()
    h, w = alpha.shape
    p = np.asarray(patch, dtype=np.float32)
    region = arr[y:y + h, x:x + w]
    a = alpha[:region.shape[0], :region.shape[1], None]
    region[:] = region * (1 - a) + p[:region.shape[0], :region.shape[1]] * a
    full = np.zeros((base.height, base.width), dtype=np.float32)
    full[y:y + h, x:x + w] = alpha[:region.shape[0], :region.shape[1]]
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8)), full


def colour_match(patch, target_region, strength):
    p = np.asarray(patch, dtype=np.float32)
    t = np.asarray(target_region, dtype=np.float32)
    shift = (t.reshape(-1, 3).mean(0) - p.reshape(-1, 3).mean(0)) * strength
    return Image.fromarray(np.clip(np.rint(p + shift), 0, 255).astype(np.uint8))


def splice(img, donor, rng, info):
    w, h = region_size(img.width, img.height, rng)
    x, y = place(img.width, img.height, w, h, rng)
    scale = 1.0 if rng.random() < 0.25 else math.exp(rng.uniform(math.log(0.5), math.log(1.7)))
    sw, sh = int(round(w / scale)), int(round(h / scale))
    if sw > donor.width or sh > donor.height:
        shrink = min(donor.width / sw, donor.height / sh)
        sw, sh = max(8, int(sw * shrink)), max(8, int(sh * shrink))
        scale = w / sw
    donor_history = "none"
    if rng.random() < 0.6:
        q = rng.randint(50, 95)
        donor = jpeg(donor, q, rng)
        donor_history = "jpeg%d" % q
    dx, dy = rng.randint(0, donor.width - sw), rng.randint(0, donor.height - sh)
    patch = donor.crop((dx, dy, dx + sw, dy + sh))
    if (sw, sh) != (w, h):
        patch = patch.resize((w, h), resample_kernel(rng))
    if rng.random() < 0.5:
        patch = colour_match(patch, img.crop((x, y, x + w, y + h)), rng.uniform(0.3, 1.0))
    alpha, edge = alpha_of(blob(w, h, rng), rng)
    out, full = composite(img, patch, alpha, x, y)
    info.update(edit="splice", edge=edge, scale=round(scale, 3), donorHistory=donor_history)
    return out, full


def copy_move(img, rng, info):
    w, h = region_size(img.width, img.height, rng, area=(0.02, 0.15))
    sx, sy = place(img.width, img.height, w, h, rng)
    patch = img.crop((sx, sy, sx + w, sy + h))
    mask = blob(w, h, rng)
    angle = rng.uniform(5, 45) * rng.choice((-1, 1)) if rng.random() < 0.5 else 0.0
    scale = math.exp(rng.uniform(math.log(0.7), math.log(1.4))) if rng.random() < 0.5 else 1.0
    if scale != 1.0:
        nw, nh = max(8, int(round(w * scale))), max(8, int(round(h * scale)))
        nw, nh = min(nw, int(img.width * 0.85)), min(nh, int(img.height * 0.85))
        kernel = resample_kernel(rng)
        patch, mask = patch.resize((nw, nh), kernel), mask.resize((nw, nh), Image.BILINEAR)
    if angle:
        kernel = rng.choice((Image.BILINEAR, Image.BICUBIC))
        patch = patch.rotate(angle, resample=kernel, expand=True)
        mask = mask.rotate(angle, resample=Image.BILINEAR, expand=True)
        if patch.width >= img.width or patch.height >= img.height:
            patch = patch.resize((min(patch.width, img.width - 1), min(patch.height, img.height - 1)), Image.BILINEAR)
            mask = mask.resize(patch.size, Image.BILINEAR)
    pw, ph = patch.size
    best = None
    for _ in range(25):
        tx, ty = place(img.width, img.height, pw, ph, rng)
        o = overlap((sx, sy, w, h), (tx, ty, pw, ph))
        if best is None or o < best[2]:
            best = (tx, ty, o)
        if o < 0.05:
            break
    tx, ty, _o = best
    alpha, edge = alpha_of(mask, rng)
    out, full = composite(img, patch, alpha, tx, ty)
    info.update(edit="copy-move", edge=edge, angle=round(angle, 2), scale=round(scale, 3))
    return out, full


def _resize_f(arr, size, kernel):
    return np.asarray(Image.fromarray(arr.astype(np.float32), mode="F").resize(size, kernel), dtype=np.float32)


def _inpaint(region, mask_bool, rng):
    """Object removal: fill the hole from its surroundings by push-pull (normalised averages of
    the known pixels on a coarse-to-fine pyramid, each finer level overriding where it has
    enough known pixels), then add noise as strong as the surroundings' own."""
    arr = np.asarray(region, dtype=np.float32)
    h, w = mask_bool.shape
    known = (~mask_bool).astype(np.float32)
    result = arr.copy()
    hole = mask_bool
    for factor in (32, 16, 8, 4, 2):
        size = (max(1, w // factor), max(1, h // factor))
        den = _resize_f(known, size, Image.BOX)
        if den.max() <= 0:
            continue
        den_up = _resize_f(den, (w, h), Image.BILINEAR)
        usable = hole & (den_up > (0.02 if factor == 32 else 0.3))
        for c in range(3):
            num = _resize_f(arr[..., c] * known, size, Image.BOX)
            est = _resize_f(num / np.maximum(den, 1e-6), (w, h), Image.BILINEAR)
            channel = result[..., c]
            channel[usable] = est[usable]
    known_pixels = arr[~hole]
    if known_pixels.size:
        smooth = np.asarray(region.filter(ImageFilter.GaussianBlur(1.0)), dtype=np.float32)[~hole]
        noise_sigma = float(np.std(known_pixels - smooth))
        noise = np.random.default_rng(rng.randint(0, 2**31 - 1)).normal(0.0, noise_sigma, (int(hole.sum()), 3))
        result[hole] += noise.astype(np.float32)
    return Image.fromarray(np.clip(np.rint(result), 0, 255).astype(np.uint8))


def retouch(img, rng, info):
    kind = _choice(rng, RETOUCH, RETOUCH_WEIGHTS)
    w, h = region_size(img.width, img.height, rng, area=(0.02, 0.15))
    x, y = place(img.width, img.height, w, h, rng)
    mask = blob(w, h, rng)
    region = img.crop((x, y, x + w, y + h))
    detail = {}
    if kind == "blur":
        r = rng.uniform(1.5, 4.0)
        # Blur a margin around the box so the edge of the box does not clamp the filter.
        m = int(r * 3)
        box = (max(0, x - m), max(0, y - m), min(img.width, x + w + m), min(img.height, y + h + m))
        blurred = img.crop(box).filter(ImageFilter.GaussianBlur(r))
        new = blurred.crop((x - box[0], y - box[1], x - box[0] + w, y - box[1] + h))
        detail = {"radius": round(r, 2)}
    elif kind == "sharpen":
        radius, percent = rng.uniform(1.5, 3.0), rng.randint(80, 250)
        new = region.filter(ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=rng.randint(0, 3)))
        detail = {"radius": round(radius, 2), "percent": percent}
    elif kind == "median":
        size = rng.choice((3, 5))
        new = region.filter(ImageFilter.MedianFilter(size))
        detail = {"size": size}
    elif kind == "inpaint":
        new = _inpaint(region, np.asarray(mask) >= 128, rng)
    elif kind == "clone":
        # Clone stamp: texture from a nearby spot of the same picture.
        for _ in range(20):
            ox = int(rng.uniform(0.5, 1.5) * w) * rng.choice((-1, 1))
            oy = int(rng.uniform(-0.5, 0.5) * h)
            cx, cy = x + ox, y + oy
            if 0 <= cx and cx + w <= img.width and 0 <= cy and cy + h <= img.height:
                break
        else:
            cx, cy = place(img.width, img.height, w, h, rng)
        new = img.crop((cx, cy, cx + w, cy + h))
        detail = {"offset": [cx - x, cy - y]}
    else:  # colour
        new = ImageEnhance.Brightness(region).enhance(rng.uniform(0.75, 1.3))
        new = ImageEnhance.Contrast(new).enhance(rng.uniform(0.8, 1.25))
        new = ImageEnhance.Color(new).enhance(rng.uniform(0.7, 1.4))
    # Retouching brushes are usually soft.
    alpha, edge = alpha_of(mask, rng, hard_p=0.25, sigma=(1.5, 5.0))
    out, full = composite(img, new, alpha, x, y)
    info.update(edit="retouch-" + kind, edge=edge, **detail)
    return out, full


# ---- one sample ---------------------------------------------------------------------------

def history_start(src, rng, info):
    """Source resampling (sometimes), a crop, a first JPEG compression (usually)."""
    img = src
    if rng.random() < 0.3 or max(img.size) > 2200:
        f = rng.uniform(0.5, 0.9)
        if max(img.size) > 2200:
            f = min(f, 2000.0 / max(img.size))
        if min(img.size) * f >= MIN_SIDE:
            img = img.resize((int(img.width * f), int(img.height * f)), resample_kernel(rng))
            info["sourceScale"] = round(f, 3)
    img = random_crop(img, rng)
    if rng.random() < 0.75:
        q = rng.randint(55, 98)
        img = jpeg(img, q, rng)
        info["q1"] = q
    return img


def history_end(img, alpha, rng, info):
    """Global processing after the edit (both classes), returns (image, alpha)."""
    if rng.random() < 0.15:
        f = rng.uniform(0.6, 0.95)
        size = (max(MIN_SIDE // 2, int(img.width * f)), max(MIN_SIDE // 2, int(img.height * f)))
        img = img.resize(size, resample_kernel(rng))
        if alpha is not None:
            alpha = np.asarray(Image.fromarray(alpha).resize(size, Image.BILINEAR), dtype=np.float32)
        info["globalScale"] = round(f, 3)
    if rng.random() < 0.1:
        img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.85, 1.15))
        img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.85, 1.15))
        info["globalTone"] = True
    if rng.random() < 0.05:
        r = rng.uniform(0.4, 1.0)
        img = img.filter(ImageFilter.GaussianBlur(r))
        info["globalBlur"] = round(r, 2)
    return img, alpha


def save_final(img, path_no_ext, rng, info):
    fmt = _choice(rng, [f for f, _ in FINAL_FORMATS], [p for _, p in FINAL_FORMATS])
    path = "%s.%s" % (path_no_ext, EXT[fmt])
    if fmt == "jpeg":
        q = rng.randint(60, 100)
        img.save(path, "JPEG", quality=q, subsampling=2 if rng.random() < 0.7 else 0)
        info["q2"] = q
    elif fmt == "png":
        img.save(path, "PNG", compress_level=rng.randint(1, 9))
    else:
        img.save(path, "TIFF")  # uncompressed, as CASIA's tampered TIFFs
    info["format"] = fmt
    return path


def make_sample(sources, index, label, split_pool, rng, out_root, name):
    """One authentic or forged image (with mask), written to disk; returns its items.csv row."""
    src = sources[index]
    info = {}
    img = history_start(src["image"], rng, info)
    alpha = None
    if label == "fake":
        for _attempt in range(5):
            kind = _choice(rng, KINDS, KIND_WEIGHTS)
            if kind == "splice":
                donors = [i for i in split_pool if sources[i]["group"] != src["group"]]
                donor_index = rng.choice(donors)
                donor_src = sources[donor_index]["image"]
                donor = random_crop(donor_src, rng, max_side=min(1024, max(donor_src.size)))
                edited, alpha = splice(img, donor, rng, info)
                info["donor"] = sources[donor_index]["name"]
            elif kind == "copy-move":
                edited, alpha = copy_move(img, rng, info)
            else:
                edited, alpha = retouch(img, rng, info)
            if (alpha >= 0.5).mean() >= 0.005:
                img = edited
                break
            info = {k: v for k, v in info.items() if k in ("q1", "sourceScale")}
        else:
            raise SynthError("could not place a visible edit in %s" % src["path"])
    img, alpha = history_end(img, alpha, rng, info)
    split = src["split"]
    folder = os.path.join(out_root, split, label, src["group"])
    os.makedirs(folder, exist_ok=True)
    path = save_final(img, os.path.join(folder, name), rng, info)
    mask_rel = ""
    if alpha is not None:
        mask_dir = os.path.join(out_root, "masks", split, src["group"])
        os.makedirs(mask_dir, exist_ok=True)
        mask_path = os.path.join(mask_dir, name + ".png")
        Image.fromarray(((alpha >= 0.5) * 255).astype(np.uint8)).save(mask_path)
        mask_rel = os.path.relpath(mask_path, out_root)
        info["maskShare"] = round(float((alpha >= 0.5).mean()), 4)
    return {
        "path": os.path.relpath(path, out_root),
        "label": label,
        "group": src["group"],
        "source": info.get("edit", "authentic"),
        "mask": mask_rel,
        "split": split,
        "width": img.width,
        "height": img.height,
        "format": info["format"],
        "q1": info.get("q1", ""),
        "q2": info.get("q2", ""),
        "sourcePhoto": src["name"],
        "history": json.dumps({k: v for k, v in info.items() if k not in ("format", "q1", "q2", "edit")}, sort_keys=True),
    }


def write_split_manifests(out_root, rows=None):
    """train.csv and val.csv in the CSV-manifest layout of `provenance evaluate`
    (path,label,group,source,mask; paths relative to out_root)."""
    if rows is None:
        with open(os.path.join(out_root, "items.csv"), newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    for split in SPLITS:
        with open(os.path.join(out_root, "%s.csv" % split), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "label", "group", "source", "mask"])
            for r in rows:
                if r["split"] == split:
                    w.writerow([r["path"], r["label"], r["group"], r["source"], r["mask"]])


ITEM_COLUMNS = ["path", "label", "group", "source", "mask", "split", "width", "height", "format", "q1", "q2", "sourcePhoto", "history"]


def synthesize(shared, out_root, seed=20261201, per_photo=None, val_fraction=0.2, limit_photos=None, log=print):
    """Builds the whole dataset; returns the report dict (also written to report.json)."""
    started = time.time()
    per_photo = per_photo or {"train": 4, "val": 3}
    os.makedirs(out_root, exist_ok=True)
    sources = list_sources(shared)
    if limit_photos:
        random.Random(seed).shuffle(sources)
        sources = sorted(sources[:limit_photos], key=lambda s: s["path"])
    log("decoding %d authentic photos" % len(sources))
    for s in sources:
        s["image"] = decode(s["path"])
        s["name"] = os.path.relpath(s["path"], os.path.join(shared, "datasets"))
        s["pixelSha256"] = _sha256_bytes(("%dx%d:" % s["image"].size).encode() + s["image"].tobytes())
        s["hashes"] = phash.hashes(s["image"])
    dup = group_and_split(sources, seed, val_fraction)
    log("%d photos in %d groups (%d exact duplicates, %d near-duplicate pairs)" % (
        len(sources), dup["groups"], dup["exactDuplicates"], dup["nearDuplicatePairs"]))

    # The evaluation pictures must not be among the sources.
    eval_hashes = evaluation_hashes(shared)
    eval_hits = []
    for s in sources:
        for name, h in eval_hashes:
            if phash.near_duplicate(s["hashes"], h):
                eval_hits.append((s["name"], name))
    if eval_hits:
        log("warning: %d source photos look like evaluation images: %s" % (len(eval_hits), eval_hits[:3]))

    with open(os.path.join(out_root, "sources.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "collection", "width", "height", "pixelSha256", "dhash", "phash", "group", "split"])
        for s in sources:
            writer.writerow([s["name"], s["collection"], s["image"].width, s["image"].height, s["pixelSha256"],
                             "%016x" % s["hashes"]["dhash"], "%016x" % s["hashes"]["phash"], s["group"], s["split"]])

    rows = []
    pools = {split: [i for i, s in enumerate(sources) if s["split"] == split] for split in SPLITS}
    for split in SPLITS:
        if len({sources[i]["group"] for i in pools[split]}) < 2:
            raise SynthError("the %s split has fewer than two photo groups; splicing needs a donor" % split)
    for i, s in enumerate(sources):
        stem = "".join(ch if ch.isalnum() else "_" for ch in os.path.splitext(os.path.basename(s["path"]))[0])[:40]
        for label in ("real", "fake"):
            for k in range(per_photo[s["split"]]):
                rng = random.Random("%d:%s:%s:%d" % (seed, s["name"], label, k))
                rows.append(make_sample(sources, i, label, pools[s["split"]], rng, out_root, "%s-%s%d" % (stem, label[0], k)))
        if (i + 1) % 20 == 0:
            log("%d/%d photos, %d images, %.0f s" % (i + 1, len(sources), len(rows), time.time() - started))

    # Near-duplicates among the outputs across splits (there should be none: splits are by
    # photo group). Each output is hashed as written.
    out_hashes = []
    for r in rows:
        out_hashes.append(phash.hashes(decode(os.path.join(out_root, r["path"]))))
        r["dhash"], r["phash"] = "%016x" % out_hashes[-1]["dhash"], "%016x" % out_hashes[-1]["phash"]
    pairs = phash.near_duplicate_pairs(out_hashes)
    cross = [(rows[i]["path"], rows[j]["path"]) for i, j, _d, _p in pairs if rows[i]["split"] != rows[j]["split"]]
    dropped = set()
    for a, b in cross:
        # Never expected; if it happens the validation copy goes.
        dropped.add(a if a.startswith("val/") else b)
    if dropped:
        log("dropping %d validation images that near-duplicate a training image" % len(dropped))
        rows = [r for r in rows if r["path"] not in dropped]

    columns = ITEM_COLUMNS + ["dhash", "phash"]
    items_path = os.path.join(out_root, "items.csv")
    with open(items_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow(r)
    with open(items_path, "rb") as f:
        items_sha = _sha256_bytes(f.read())
    write_split_manifests(out_root, rows)

    def count(pred):
        return sum(1 for r in rows if pred(r))

    report = {
        "seed": seed,
        "perPhoto": per_photo,
        "valFraction": val_fraction,
        "sources": {"photos": len(sources), "groups": dup["groups"], "exactDuplicates": dup["exactDuplicates"],
                    "nearDuplicatePairs": dup["nearDuplicatePairs"],
                    "groupsMergedByNearDuplicates": dup["groupsMergedByNearDuplicates"],
                    "nearDuplicateExamples": dup["pairs"][:20],
                    "perCollection": {c: {sp: sum(1 for s in sources if s["collection"] == c and s["split"] == sp) for sp in SPLITS}
                                      for c in sorted({s["collection"] for s in sources})},
                    "lookLikeEvaluationImages": len(eval_hits), "evaluationImagesChecked": len(eval_hashes)},
        "outputs": {
            "images": len(rows),
            "nearDuplicatePairsWithinSplits": len(pairs) - len(cross),
            "nearDuplicatePairsAcrossSplits": len(cross),
            "droppedAcrossSplits": len(dropped),
            "perSplit": {sp: {"real": count(lambda r, sp=sp: r["split"] == sp and r["label"] == "real"),
                              "fake": count(lambda r, sp=sp: r["split"] == sp and r["label"] == "fake")} for sp in SPLITS},
            "perKind": {k: count(lambda r, k=k: r["source"] == k) for k in sorted({r["source"] for r in rows})},
            "formats": {lab: {f: count(lambda r, lab=lab, f=f: r["label"] == lab and r["format"] == f) for f in EXT}
                        for lab in ("real", "fake")},
        },
        "itemsCsvSha256": items_sha,
        "seconds": round(time.time() - started, 1),
    }
    with open(os.path.join(out_root, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    log("wrote %d images to %s in %.0f s (items.csv SHA-256 %s)" % (len(rows), out_root, report["seconds"], items_sha))
    return report
