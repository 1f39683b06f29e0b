"""Recipe "generated": real photographs vs GAN / diffusion images from ``<shared>/datasets``.

What it does, in order (every random choice seeded by ``options.seed``):

1. Collects the sources of ``datasets/generated/`` the job names. Three have both classes from one
   pipeline (CIFAKE SD 1.4, BEGAN vs CelebA, StyleGAN2 vs Unsplash faces), two are paired
   in-the-wild sets (Reuters vs Gemini, a "spot the AI" quiz), three hold fakes only
   (``modern-diffusion``, ``sdeval-t2i``, ``ai-bingo``): those are paired with the real
   photographs of ``datasets/photos/`` and ``datasets/cameras/`` (camera originals and edited
   files; metadata stubs under 256 px are skipped), each photo group assigned to one of them, so
   every source row has both classes.
2. Groups: a news caption (its real and its Gemini picture), a ``modern-diffusion`` generator (its
   crops are few pictures, often the same prompt: held out as a whole, the test rows measure
   generators never trained on), an ``sdeval-t2i`` prompt, an ``ai-bingo`` prompt (the same
   prompt through three generators), a camera model, otherwise the file.
3. Caps each class of each source at ``perSourceCap`` images (seeded choice).
4. Drops exact duplicates: the same decoded pixels twice (first in path order kept; a picture in
   both classes would be dropped entirely).
5. Normalises the FORMAT of every image of both classes identically, so that no container, size
   or compression history separates the classes by construction: decode (EXIF orientation,
   alpha onto white, 8-bit RGB), one centred crop of at most ``cropSize`` with offsets on the
   16-pixel grid (so the 8×8 JPEG grid and 8/16-pixel generator grids keep their phase; never a
   resize), JPEG at ``jpegQuality`` with 4:2:0 chroma and no metadata. Real photographs with a
   side of at least twice the crop give two side-by-side crops (same group).
6. Splits each source by group into train / val / test (``valFraction``, ``testFraction``,
   balanced per class), or with ``holdOut`` puts that whole source in test and splits the rest
   into train and val only (leave-one-source-out).
7. Drops near-duplicates across splits: a val or test image whose 64-bit difference hash is within
   ``dhashDistance`` bits of a training image (or a test image that close to a val image).
8. Optionally synthesises AutoGAN-style fakes from real training photos (see ``autogan.py``),
   train split only, in the group of the photo they reconstruct.
9. Writes ``items.csv``, ``splits/{train,val,test}.csv`` (CSV manifests ``provenance evaluate``
   reads: path,label,group,source,generator), their SHA-256, and the format-only leakage baseline
   (``leakage.py``) into ``summary.json``.
"""
import csv
import hashlib
import io
import json
import os
import random
import re

from PIL import Image

from ..augment import load_rgb
from . import register_recipe
from .dedup import dhash64, near_duplicates
from .leakage import format_baseline, jpeg_quality_estimate

VERSION = 1
CLASSIC = ("cifake-sd14", "gangen-began", "tpdne-stylegan2-faces")
PAIRED = ("news-gemini", "spot-the-ai-quiz")
FAKES_ONLY = ("modern-diffusion", "sdeval-t2i", "ai-bingo")
REAL_GENERATOR = {"cifake-sd14": "cifar-10", "gangen-began": "celeba", "tpdne-stylegan2-faces": "unsplash",
                  "news-gemini": "reuters", "spot-the-ai-quiz": "stock-photo"}
FAKE_GENERATOR = {"cifake-sd14": "stable-diffusion-1.4", "gangen-began": "began", "tpdne-stylegan2-faces": "stylegan2",
                  "news-gemini": "gemini-3.1-flash-image"}
LABEL_DIRS = {"0_real": "real", "1_fake": "fake"}
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
SPLITS = ("train", "val", "test")


def _read_table(path, delimiter):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def _sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def _ordered(seed, key):
    return hashlib.sha256(("%d:%s" % (seed, key)).encode("utf-8")).hexdigest()


def fingerprint(options):
    """The checksum lists of every folder the recipe reads: a changed source re-prepares."""
    shared = os.path.join(options["sharedDir"], "datasets")
    h = hashlib.sha256()
    folders = ["generated/%s" % s for s in options["sources"]]
    if any(s in FAKES_ONLY for s in options["sources"]):
        folders += ["photos/cbsd68", "photos/sun_hays80", "photos/mcmaster18", "cameras"]
    for folder in sorted(folders):
        path = os.path.join(shared, folder, "SHA256SUMS")
        try:
            with open(path, "rb") as f:
                h.update(folder.encode() + b"\0" + f.read())
        except OSError as err:
            raise ValueError("the shared data folder lacks %s (%s): check data.prepare.sharedDir" % (path, err.strerror))
    return h.hexdigest()


# ---- 1-2. candidates -----------------------------------------------------------------------------
def _source_rows(shared, source):
    """Per file of a generated source: its SOURCES.tsv row (generator, original path)."""
    path = os.path.join(shared, "generated", source, "SOURCES.tsv")
    rows = _read_table(path, "\t") if os.path.exists(path) else []
    return {r["file"]: r for r in rows}


def _generated_candidates(shared, source):
    folder = os.path.join(shared, "generated", source)
    meta = _source_rows(shared, source)
    out = []
    for label_dir, label in LABEL_DIRS.items():
        d = os.path.join(folder, label_dir)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.lower().endswith(IMAGE_EXT):
                continue
            rel = "%s/%s" % (label_dir, name)
            row = meta.get(rel) or meta.get(name) or {}
            stem = os.path.splitext(name)[0]
            generator = row.get("generator") or ""
            if generator in ("", "-"):
                generator = REAL_GENERATOR.get(source, "photo") if label == "real" else FAKE_GENERATOR.get(source, "unknown")
            if source == "news-gemini":
                group = "news:%s" % stem  # the real photo and the picture made from its caption
            elif source == "modern-diffusion":
                group = "generator:%s" % generator
            elif source == "sdeval-t2i":
                group = "prompt:%s" % stem.rsplit("_", 1)[0]
            elif source == "ai-bingo":
                m = re.search(r"prompts/([^/]+)/", row.get("source_path", ""))
                group = "prompt:%s" % (m.group(1) if m else stem.split("-")[0])
            else:
                group = "file:%s" % rel
            out.append({"source": source, "label": label, "src": os.path.join(d, name), "origin": "generated/%s/%s" % (source, rel),
                        "group": "%s/%s" % (source, group), "generator": generator})
    return out


def _photo_candidates(shared):
    """Real photographs of datasets/photos and datasets/cameras (not metadata stubs)."""
    out = []
    for sub in ("cbsd68", "sun_hays80", "mcmaster18"):
        rows = _read_table(os.path.join(shared, "photos", sub, "files.csv"), ",")
        for r in sorted(rows, key=lambda r: r["file"]):
            out.append({"label": "real", "src": os.path.join(shared, "photos", sub, r["file"]), "origin": "photos/%s/%s" % (sub, r["file"]),
                        "group": "photos/%s/%s" % (sub, r["file"]), "generator": "photo:%s" % sub})
    for r in sorted(_read_table(os.path.join(shared, "cameras", "INDEX.csv"), ","), key=lambda r: r["file"]):
        try:
            small = min(int(r["width"]), int(r["height"])) < 256
        except ValueError:
            small = True
        if small or r.get("pillow_decode") != "ok":
            continue
        camera = r["file"].split("/")[0]
        group = "cameras/%s" % (r["file"] if r["kind"] != "camera" else camera)
        out.append({"label": "real", "src": os.path.join(shared, "cameras", r["file"]), "origin": "cameras/%s" % r["file"],
                    "group": group, "generator": "camera" if r["kind"] == "camera" else "edited"})
    return out


def collect(options):
    shared = os.path.join(options["sharedDir"], "datasets")
    seed = options["seed"]
    cands = []
    for source in options["sources"]:
        cands += _generated_candidates(shared, source)
    fakes_only = [s for s in options["sources"] if s in FAKES_ONLY]
    if fakes_only:
        photos = _photo_candidates(shared)
        # Each photo group goes to one fakes-only source (round robin in a seeded order), so
        # each of those rows has real photographs of its own.
        order = sorted({p["group"] for p in photos}, key=lambda g: _ordered(seed, g))
        owner = {g: fakes_only[i % len(fakes_only)] for i, g in enumerate(order)}
        for p in photos:
            p["source"] = owner[p["group"]]
        cands += photos
    # 3. the cap per class and source (seeded), keeping path order
    capped = []
    for source in options["sources"]:
        for label in ("real", "fake"):
            pool = [c for c in cands if c["source"] == source and c["label"] == label]
            if len(pool) > options["perSourceCap"]:
                keep = set(random.Random("%d:%s:%s" % (seed, source, label)).sample(range(len(pool)), options["perSourceCap"]))
                pool = [c for i, c in enumerate(pool) if i in keep]
            capped += pool
    return capped


# ---- 5. format normalisation ------------------------------------------------------------------------
def crop_boxes(width, height, crop, two=False):
    """Centred crop of at most crop×crop, offsets on the 16-px grid; with ``two``, two
    side-by-side crops along the longer side when it holds two."""
    cw, ch = min(width, crop), min(height, crop)
    if two and max(width, height) >= 2 * crop and min(width, height) >= crop:
        if width >= height:
            x0 = ((width - 2 * crop) // 2) // 16 * 16
            y0 = ((height - crop) // 2) // 16 * 16
            return [(x0, y0, x0 + crop, y0 + crop), (x0 + crop, y0, x0 + 2 * crop, y0 + crop)]
        x0 = ((width - crop) // 2) // 16 * 16
        y0 = ((height - 2 * crop) // 2) // 16 * 16
        return [(x0, y0, x0 + crop, y0 + crop), (x0, y0 + crop, x0 + crop, y0 + 2 * crop)]
    x0 = ((width - cw) // 2) // 16 * 16
    y0 = ((height - ch) // 2) // 16 * 16
    return [(x0, y0, x0 + cw, y0 + ch)]


def encode_jpeg(img, quality):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality), subsampling=2, optimize=False)
    return buf.getvalue()


def origin_format(path):
    """(container, width, height, bytes, JPEG quality estimate or None) of a source file as it is."""
    size = os.path.getsize(path)
    with Image.open(path) as img:
        fmt = img.format or "unknown"
        quality = jpeg_quality_estimate(img) if fmt == "JPEG" else None
        return fmt, img.size[0], img.size[1], size, quality


def _safe(name):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def normalise(cand, out_dir, options):
    """Writes the normalised crop(s) of one candidate; returns one item per crop, or [] when
    the file cannot be decoded (reported, not fatal)."""
    img = load_rgb(cand["src"])
    two = cand["origin"].startswith(("photos/", "cameras/"))
    fmt, width, height, size, quality = origin_format(cand["src"])
    pixels = hashlib.sha256(("%dx%d:" % img.size).encode() + img.tobytes()).hexdigest()
    items = []
    boxes = crop_boxes(img.size[0], img.size[1], options["cropSize"], two)
    stem = _safe(os.path.splitext(cand["origin"].split("/", 2)[-1])[0])
    for k, box in enumerate(boxes):
        data = encode_jpeg(img.crop(box), options["jpegQuality"])
        rel = "images/%s/%s/%s%s.jpg" % (cand["source"], cand["label"], stem, "_c%d" % k if len(boxes) > 1 else "")
        path = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        with Image.open(io.BytesIO(data)) as written:
            dh = dhash64(written)
            written_quality = jpeg_quality_estimate(written)
        items.append(dict(cand, path=rel, sha256=_sha256_bytes(data), pixels=pixels, dhash=dh, box=",".join(map(str, box)),
                          originFormat=fmt, originWidth=width, originHeight=height, originBytes=size, originQuality=quality,
                          bytes=len(data), width=box[2] - box[0], height=box[3] - box[1], quality=written_quality))
    return items


# ---- 6. split ---------------------------------------------------------------------------------------
def assign_splits(items, options):
    """Group-aware, per source, balanced per class: groups in the order of SHA-256(seed:group)
    go to test, then val, while that brings each class's count closer to its target share."""
    seed = options["seed"]
    for source in sorted({it["source"] for it in items}):
        members = [it for it in items if it["source"] == source]
        if source == options.get("holdOut"):
            for it in members:
                it["split"] = "test"
            continue
        test_fraction = 0.0 if options.get("holdOut") else options["testFraction"]
        groups = {}
        for it in members:
            groups.setdefault(it["group"], []).append(it)
        totals = {lab: sum(1 for it in members if it["label"] == lab) for lab in ("real", "fake")}
        targets = {"test": {lab: int(test_fraction * totals[lab] + 0.5) for lab in totals},
                   "val": {lab: int(options["valFraction"] * totals[lab] + 0.5) for lab in totals}}
        counts = {"test": {"real": 0, "fake": 0}, "val": {"real": 0, "fake": 0}}

        def deviation(split, c):
            return sum(abs(targets[split][lab] - c[lab]) for lab in c)

        for group in sorted(groups, key=lambda g: _ordered(seed, g)):
            chosen = "train"
            for split in ("test", "val"):
                after = dict(counts[split])
                for it in groups[group]:
                    after[it["label"]] += 1
                if deviation(split, after) < deviation(split, counts[split]):
                    counts[split] = after
                    chosen = split
                    break
            for it in groups[group]:
                it["split"] = chosen


def _write_csv(path, rows, columns):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])


def _file_sha256(path):
    with open(path, "rb") as f:
        return _sha256_bytes(f.read())


def _counts(items):
    out = {}
    for it in items:
        row = out.setdefault(it["source"], {s: {"real": 0, "fake": 0} for s in SPLITS})
        row[it["split"]][it["label"]] += 1
    return out


ITEM_COLUMNS = ("path", "label", "split", "source", "group", "generator", "sha256", "bytes", "width", "height", "quality", "dhash", "origin",
                "originFormat", "originWidth", "originHeight", "originBytes", "originQuality", "box", "pixels")


def prepare(options, out_dir, progress):
    if options.get("holdOut") and options["holdOut"] not in options["sources"]:
        raise ValueError("data.prepare.holdOut %r is not one of data.prepare.sources" % options["holdOut"])
    cands = collect(options)
    progress("collect", len(cands), len(cands), "%d candidate images from %d sources" % (len(cands), len(options["sources"])))
    items, failed = [], []
    for i, cand in enumerate(cands):
        try:
            items += normalise(cand, out_dir, options)
        except Exception as err:  # a bad file is reported and skipped, the rest goes on
            failed.append({"origin": cand["origin"], "error": str(err)[:200]})
        if i % 200 == 0 or i == len(cands) - 1:
            progress("normalise", i + 1, len(cands), "decoded, cropped and re-encoded %d of %d" % (i + 1, len(cands)))

    # 4. exact duplicates: the same decoded pixels
    by_pixels, exact, conflicts = {}, [], 0
    for it in sorted(items, key=lambda it: it["origin"]):
        by_pixels.setdefault((it["pixels"], it["box"]), []).append(it)
    kept = []
    for same in by_pixels.values():
        if len({it["label"] for it in same}) > 1:
            conflicts += len(same)
            exact += [it["origin"] for it in same]
            continue
        kept.append(same[0])
        exact += [it["origin"] for it in same[1:]]
    items = sorted(kept, key=lambda it: it["path"])

    assign_splits(items, options)
    # 7. near-duplicates across splits
    dropped = near_duplicates(items, options["dhashDistance"])
    near = {}
    for it in dropped:
        near.setdefault(it["source"], {}).setdefault(it["split"], 0)
        near[it["source"]][it["split"]] += 1
    drop_ids = {id(it) for it in dropped}
    items = [it for it in items if id(it) not in drop_ids]
    progress("split", len(items), len(items), "%d images after de-duplication" % len(items))

    synthetic = None
    if options.get("synthetic"):
        from .autogan import synthesise

        made, synthetic = synthesise([it for it in items if it["split"] == "train" and it["label"] == "real"], out_dir, options, progress)
        items += made

    os.makedirs(os.path.join(out_dir, "splits"), exist_ok=True)
    _write_csv(os.path.join(out_dir, "items.csv"), items, ITEM_COLUMNS)
    split_sha = {}
    for split in SPLITS:
        rows = [dict(it, path="../" + it["path"]) for it in items if it["split"] == split]
        path = os.path.join(out_dir, "splits", "%s.csv" % split)
        _write_csv(path, rows, ("path", "label", "group", "source", "generator", "sha256"))
        split_sha[split] = _file_sha256(path)
    progress("leakage", 0, 1, "format-only baseline")
    leakage = format_baseline(items)
    return {
        "recipe": "generated",
        "version": VERSION,
        "options": options,
        "counts": _counts(items),
        "total": {s: {lab: sum(1 for it in items if it["split"] == s and it["label"] == lab) for lab in ("real", "fake")} for s in SPLITS},
        "groups": len({it["group"] for it in items}),
        "duplicates": {"exactDropped": len(exact), "labelConflicts": conflicts, "nearDuplicatesDropped": near,
                       "nearDuplicateRule": "64-bit dHash of the normalised image within %d bits of an image in an earlier split "
                                            "(train < val < test)" % options["dhashDistance"]},
        "undecodable": failed,
        "splitFiles": {s: {"file": "splits/%s.csv" % s, "sha256": split_sha[s]} for s in SPLITS},
        "itemsSha256": _file_sha256(os.path.join(out_dir, "items.csv")),
        "synthetic": synthetic,
        "leakage": leakage,
    }


register_recipe("generated", VERSION, prepare, fingerprint)


def regenerate(shared, rows, out_dir, quality):
    """Writes the normalised files of ``rows`` (items.csv rows: path, origin, box) again from
    the shared folder, byte for byte as ``prepare`` wrote them; returns [(row, sha256)]. What a
    test uses to rebuild a slice of an evaluation split without preparing everything."""
    done = []
    for row in rows:
        origin = row["origin"]
        img = load_rgb(os.path.join(shared, "datasets", origin))
        box = tuple(int(v) for v in row["box"].split(","))
        data = encode_jpeg(img.crop(box), quality)
        path = os.path.join(out_dir, row["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        done.append((row, _sha256_bytes(data)))
    return done


def main(argv=None):
    """python3 -m provenance_train.prep --shared DIR --out DIR [--options JSON]: the
    same preparation outside a training job (the card's evaluation split, tests)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--options", default="{}", help="recipe options as JSON (the job's data.prepare, without recipe)")
    parser.add_argument("--regenerate", metavar="CSV", help="only rewrite the files listed in this CSV (items.csv columns "
                        "path, origin, box, sha256) and check their SHA-256")
    args = parser.parse_args(argv)
    if args.regenerate:
        with open(args.regenerate, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        quality = json.loads(args.options).get("jpegQuality", 90)
        bad = [(r["path"], sha) for r, sha in regenerate(os.path.abspath(args.shared), rows, args.out, quality) if sha != r["sha256"]]
        print(json.dumps({"written": len(rows), "mismatched": bad}))
        raise SystemExit(1 if bad else 0)
    from ..schema import JOB_SCHEMA, load_schema, validate

    raw = dict(json.loads(args.options), recipe="generated", sharedDir=os.path.abspath(args.shared))
    schema = load_schema(JOB_SCHEMA)["properties"]["data"]["properties"]["prepare"]
    options, problems = validate(schema, raw)
    if problems:
        raise SystemExit("invalid options: " + "; ".join(problems))
    os.makedirs(args.out, exist_ok=True)
    summary = prepare(options, args.out, lambda stage, done, total, message: print("%s: %s" % (stage, message)))
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary["total"]))

