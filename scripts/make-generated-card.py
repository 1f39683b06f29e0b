#!/usr/bin/env python3
"""Writes resources/models/<id>/MODEL_CARD.md and evaluation/robustness.png from the evidence
kept in resources/models/<id>/evaluation/ (see ship-generated-model.py). Every number in the
card comes from those files; nothing is typed in by hand.

    /usr/bin/python3 scripts/make-generated-card.py --id generated-xyz
"""
import argparse
import csv
import json
import os
import platform

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

SOURCE_INFO = {
    "cifake-sd14": ("CIFAKE: Stable Diffusion 1.4 vs CIFAR-10, 32×32 JPEG", "GPL-3.0 repo; CIFAR-10 has no formal licence; SD 1.4 outputs"),
    "gangen-began": ("GANGen-Detection BEGAN vs CelebA crops, 128×128 PNG", "unknown; CelebA research-only, non-commercial"),
    "tpdne-stylegan2-faces": ("thispersondoesnotexist (StyleGAN2) vs Unsplash faces, 300×300 JPEG", "unknown (Kaggle 'Hard Fake vs Real Faces')"),
    "news-gemini": ("Reuters news photos vs Gemini 3.1 Flash Image from their captions (pairs)", "unknown; Reuters copyright, Google terms"),
    "spot-the-ai-quiz": ("'Spot the AI' quiz: web stock photos vs Midjourney v7, Ideogram, unnamed services", "unknown"),
    "modern-diffusion": ("29 current text-to-image generators (SDXL, SD3, FLUX, HiDream, Qwen, Kolors, Midjourney v6, ...), fakes only", "0BSD/Apache-2.0/MIT repos + each model's output terms"),
    "sdeval-t2i": ("DALL-E 2, SD 2.1, SDXL outputs of a 2023 evaluation app, fakes only", "unknown; OpenAI / Stability terms"),
    "ai-bingo": ("DALL-E 2, Stable Diffusion, Midjourney v4 (resized to 512 by the game author), fakes only", "unknown"),
}
PHOTOS = "real photographs of datasets/photos (CBSD68, Sun-Hays 80, McMaster: licences unknown, research use) and datasets/cameras (metadata-extractor-images: free use; exif-samples: CC BY-SA 4.0 / Wikimedia)"


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def pct(v, digits=1):
    return "–" if v is None else ("%." + str(digits) + "f%%") % (100 * v)


def num(v, digits=3):
    return "–" if v is None else ("%." + str(digits) + "f") % v


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def robustness_plot(curves, path, title):
    """Three panels (JPEG quality, blur σ, downscale factor): AP and accuracy per level."""
    from PIL import Image, ImageDraw

    panels = [("jpeg", "JPEG quality", True), ("blur", "Gaussian blur sigma (px)", False), ("downscale", "downscale factor", True)]
    w, h, pad = 1200, 420, 60
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    d.text((pad, 10), title, fill="black")
    pw = (w - pad * 2) // 3
    for i, (kind, label, reverse) in enumerate(panels):
        curve = next((c for c in curves if c["kind"] == kind), None)
        x0, y0, x1, y1 = pad + i * pw + 30, 50, pad + (i + 1) * pw - 20, h - 60
        d.rectangle((x0, y0, x1, y1), outline="black")
        for frac in (0.25, 0.5, 0.75, 1.0):
            y = y1 - frac * (y1 - y0)
            d.line((x0, y, x1, y), fill=(225, 225, 225))
            d.text((x0 - 28, y - 6), "%.2f" % frac, fill="black")
        d.text((x0 - 28, y1 - 6), "0.00", fill="black")
        d.text((x0 + 10, y1 + 25), label, fill="black")
        if not curve:
            continue
        pts = curve["points"]
        values = [p["value"] for p in pts]
        lo, hi = min(values), max(values)

        def xpos(v):
            t = 0.5 if hi == lo else (v - lo) / (hi - lo)
            return x1 - t * (x1 - x0) if reverse else x0 + t * (x1 - x0)

        for key, colour in (("ap", (200, 40, 40)), ("accuracy", (40, 80, 200))):
            line = [(xpos(p["value"]), y1 - p[key] * (y1 - y0)) for p in pts if p[key] is not None]
            if len(line) > 1:
                d.line(line, fill=colour, width=3)
            for x, y in line:
                d.ellipse((x - 4, y - 4, x + 4, y + 4), fill=colour)
        for v in values:
            d.text((xpos(v) - 8, y1 + 6), ("%g" % v), fill="black")
    d.text((w - 330, 12), "red: AP    blue: accuracy at the threshold", fill="black")
    img.save(path)


def experiment_rows(experiments):
    """Leave-one-source-out: one row per (route, variant), one column group per held-out source."""
    held = ["cifake-sd14", "gangen-began", "tpdne-stylegan2-faces"]
    groups = {}
    for e in experiments:
        prep = e["job"]["data"]["prepare"]
        if not prep.get("holdOut"):
            continue
        route = e["job"]["model"]["arch"]
        aug = e["job"]["augment"]["blur"]["p"]
        variant = "%s, %d px, Blur+JPEG p=%g%s" % ({"mobilenet_v2": "Wang et al. / MobileNetV2", "npr_resnet": "NPR"}.get(route, route),
                                                   e["job"]["model"]["inputSize"], aug, ", + AutoGAN fakes" if prep.get("synthetic") else "")
        groups.setdefault(variant, {})[prep["holdOut"]] = e
    rows = []
    for variant in sorted(groups):
        cells, aps, accs = [], [], []
        for source in held:
            e = groups[variant].get(source)
            t = e["evaluation"]["test"] if e else None
            if t:
                aps.append(t["ap"])
                accs.append(t["accuracy"])
                cells += [num(t["ap"]), pct(t["accuracy"])]
            else:
                cells += ["–", "–"]
        # The mean over the rotations that finished, saying how many: a variant with a missing
        # rotation is not comparable with one that has all three, and the row says so.
        note = "" if len(aps) == len(held) else " (%d of %d)" % (len(aps), len(held))
        mean_ap = sum(aps) / len(aps) if aps else None
        mean_acc = sum(accs) / len(accs) if accs else None
        rows.append([variant] + cells + [num(mean_ap) + note, pct(mean_acc) + note])
    # What a detector without any signal gets: a constant score has AP = the share of fakes.
    chance, shares = [], []
    for source in held:
        e = next((g[source] for g in groups.values() if source in g), None)
        t = e["evaluation"]["test"] if e else None
        if t:
            shares.append(t["fake"] / t["n"])
            chance += [num(shares[-1]), "–"]
        else:
            chance += ["–", "–"]
    if shares:
        rows.append(["*chance (constant score)*"] + chance + [num(sum(shares) / len(shares)), "–"])
    return held, rows


def route_decision(experiments, job, shipped_evaluation=None):
    """Why the shipped route, from the finished leave-one-source-out runs (mean held-out AP per variant)."""
    by_variant = {}
    for e in experiments:
        prep = e["job"]["data"]["prepare"]
        if not prep.get("holdOut") or not e["evaluation"].get("test"):
            continue
        key = (e["job"]["model"]["arch"], e["job"]["model"]["inputSize"], bool(prep.get("synthetic")))
        by_variant.setdefault(key, []).append((prep["holdOut"], e["evaluation"]["test"]["ap"]))
    if not by_variant:
        return []
    names = {"mobilenet_v2": "MobileNetV2 (Wang et al.)", "npr_resnet": "NPR"}
    parts = []
    for (arch, size, syn), runs in sorted(by_variant.items()):
        parts.append("%s at %d px%s: mean held-out AP %s over %s" % (
            names.get(arch, arch), size, " with AutoGAN fakes" if syn else "", num(sum(ap for _, ap in runs) / len(runs)),
            ", ".join("%s %s" % (src.split("-")[0], num(ap)) for src, ap in sorted(runs))))
    lines = ["**Route decision.** Finished rotations: %s. A constant score has AP equal to the share of fakes (about 0.5 here), "
             "so only a variant clearly above that generalises to the unseen generator at all." % "; ".join(parts)]
    shipped = (job["model"]["arch"], job["model"]["inputSize"], bool(job["data"].get("prepare", {}).get("synthetic")))
    lines.append("The shipped model is %s at %d px%s, trained on all sources of the recipe." % (
        names.get(shipped[0], shipped[0]), shipped[1], " with AutoGAN fakes" if shipped[2] else " without AutoGAN fakes"))
    full = [e for e in experiments if e["name"].startswith("full-") and e["job"]["data"]["prepare"].get("synthetic") and e["evaluation"].get("test")]
    if not shipped[2] and full and shipped_evaluation:
        ours, theirs = shipped_evaluation["test"], full[0]["evaluation"]["test"]
        lines.append("AutoGAN fakes were the one change that lifted held-out AP above chance. The full-data run with them "
                     "(`%s`, %d epochs like the shipped model, same prepared test split) reached test AP %s against %s and mean AP "
                     "over sources %s against %s; it was not shipped, because a replacement must be at least as good on both "
                     "(see the baseline table below)." % (full[0]["jobFile"], full[0]["job"]["epochs"], num(theirs["ap"]), num(ours["ap"]),
                                                          num(theirs["perSource"]["mean"]["ap"]), num(ours["perSource"]["mean"]["ap"])))
    elif not shipped[2] and any(syn for (_, _, syn) in by_variant):
        lines.append("AutoGAN fakes were the one change that lifted held-out AP above chance, but synthesising them for the full "
                     "set (three auto-encoders of 400 steps each) did not fit the CPU time left on the shared two-core machine, "
                     "and neither did the missing rotations (cifake, MobileNetV2 at 64 px); a full-data run with them "
                     "(`resources/training/jobs/experiments/generated/full-npr-autogan.json`) is the next one to make.")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--id", required=True)
    args = parser.parse_args()
    out = os.path.join(ROOT, "resources", "models", args.id)
    ev = os.path.join(out, "evaluation")
    manifest = read_json(os.path.join(out, "manifest.json"))
    training = read_json(os.path.join(ev, "training.json"))
    app = read_json(os.path.join(ev, "app-evaluation.json"))
    exp_dir = os.path.join(ev, "experiments")
    experiments = [read_json(os.path.join(exp_dir, n)) for n in sorted(os.listdir(exp_dir))] if os.path.isdir(exp_dir) else []
    job = training["job"]
    prep = training["preparation"]
    model_eval = app["perModel"][0]
    metrics = model_eval["metrics"]
    threshold = app["threshold"]
    arch = job["model"]["arch"]
    route = "Wang et al. 2020 recipe on the ImageNet MobileNetV2" if arch == "mobilenet_v2" else "NPR (Tan et al., CVPR 2024), written from the paper"
    onnx_size = os.path.getsize(os.path.join(out, "model.onnx"))
    with open(os.path.join(ev, "test-items.csv"), newline="", encoding="utf-8") as f:
        test_items = {r["path"]: r for r in csv.DictReader(f)}

    robustness_plot(app["robustness"]["curves"] if app.get("robustness") else [], os.path.join(ev, "robustness.png"),
                    "%s on its test split (%d images): robustness at threshold %.4f" % (args.id, metrics["n"], threshold))

    L = []
    add = L.append
    add("# %s — %s" % (args.id, manifest["name"]))
    add("")
    add("> **A score is evidence to review, never a verdict.** This detector says how much an image looks like the "
        "generated images it was trained on. It was trained on a CPU from small public samples; on generators, content "
        "and processing it has not seen it can be confidently wrong, in both directions. Use it to decide what to look at "
        "more closely, next to metadata, ELA, provenance and human review, and never as the sole basis of a finding "
        "about a person.")
    add("")
    add("## Task and operating point")
    add("")
    add("- **Task:** `generated`: real photograph (0) vs image made by a GAN or diffusion model (1). Output `score` = "
        "probability of *generated*, per image the mean over %d crops." % manifest["preprocessing"].get("cropCount", 1))
    cal = manifest["calibration"]
    add("- **Threshold %.4f** (flagged when score ≥ threshold), chosen by the rule: %s." % (threshold, cal["rule"]))
    add("  On validation it flags %s of real images (false-positive rate) and misses %s of generated ones (false-negative rate)."
        % (pct(cal["fpr"]), pct(cal["fnr"])))
    add("- **On the held-out test split** (%d real, %d generated, never used for training, early stopping or the threshold), "
        "scored by the app itself (`provenance evaluate`, onnxruntime): accuracy **%s**, precision **%s**, recall **%s**, "
        "F1 **%s**, AP **%s**, ROC-AUC %s; false-positive rate %s, false-negative rate %s."
        % (metrics["real"], metrics["fake"], pct(metrics["accuracy"]), pct(metrics["precision"]), pct(metrics["recall"]),
           pct(metrics["f1"]), num(metrics["ap"]), num(metrics["auc"]), pct(manifest["evaluation"]["fpr"]), pct(manifest["evaluation"]["fnr"])))
    ci = metrics.get("ci") or {}
    if ci.get("ap"):
        add("  95%% bootstrap intervals (%d replicates): accuracy %s–%s, AP %s–%s." % (
            ci["ap"]["replicates"], pct(ci["accuracy"]["low"]), pct(ci["accuracy"]["high"]), num(ci["ap"]["low"]), num(ci["ap"]["high"])))
    add("")
    add("## Architecture and preprocessing")
    add("")
    if arch == "mobilenet_v2":
        add("- **Route 1, Wang et al. 2020 recipe on MobileNetV2.** torchvision MobileNetV2 (`features.0`–`features.18`, 1280-d "
            "global-average-pooled embedding) + one linear logit, initialised from the ImageNet MobileNetV2 of "
            "`../shared/weights/mobilenet_v2_imagenet_tflite/` (the slim-QAT conversion, Apache-2.0), fine-tuned whole with "
            "BatchNorm statistics frozen (small CPU batches). It stands in for Wang et al.'s ResNet-50, which cannot be had offline.")
    else:
        add("- **Route 2, NPR.** The image minus its nearest-neighbour up-sampled, down-sampled copy (x − up(down(x)), factor 2), "
            "fed to a ResNet truncated after its second stage (stem, layer1, layer2 with basic blocks of 64 and 128 channels, global "
            "pooling, one logit; 0.68 M parameters), trained from scratch. Written from the paper; no NPR code or weights were used.")
    add("- **Input:** crops of %d×%d pixels, **never resized** (resampling erases generator traces); normalisation (x/255 − %s)/%s. "
        "Training takes one random crop per image per epoch; the app takes a %s grid of crops spanning the image and averages "
        "their scores (`multi-crop`, cropCount %d, mean); images smaller than a crop are padded with black."
        % (manifest["input"]["width"], manifest["input"]["height"], manifest["preprocessing"]["normalization"]["mean"][0],
           manifest["preprocessing"]["normalization"]["std"][0], "×".join([str(int(manifest["preprocessing"].get("cropCount", 1) ** 0.5))] * 2),
           manifest["preprocessing"].get("cropCount", 1)))
    aug = job["augment"]
    add("- **Training:** Adam (AdamW without weight decay), learning rate %g (backbone) / %g (head), batch %d, Blur+JPEG augmentation "
        "(Gaussian blur σ∈[%g, %g] with p=%g, JPEG quality %d–%d with p=%g, horizontal flips), plateau schedule (÷%g after %d epoch(s) "
        "without a better validation AP), early stopping after %d such epochs, at most %d epochs; the best validation-AP epoch is kept "
        "(epoch %s)." % (job["lr"]["backbone"], job["lr"]["head"], job["batchSize"], aug["blur"]["sigma"][0], aug["blur"]["sigma"][1],
                         aug["blur"]["p"], aug["jpeg"]["quality"][0], aug["jpeg"]["quality"][1], aug["jpeg"]["p"],
                         1 / job["schedule"]["factor"], job["schedule"]["patience"], job["earlyStopping"]["patience"], job["epochs"],
                         training["evaluation"]["bestEpoch"]))
    add("- **File:** `model.onnx`, %.1f MB, opset 17, input `input` [N,3,%d,%d], outputs `score` [N,1] and `features`; "
        "SHA-256 `%s` (checked at load)." % (onnx_size / 1e6, manifest["input"]["width"], manifest["input"]["height"], manifest["sha256"]))
    add("")

    add("## Training data")
    add("")
    opts = prep["options"]
    add("Prepared by the `generated` recipe of the trainer (`resources/training/provenance_train/prep/generated.py`) from "
        "`../shared/datasets/`, run by the job itself:")
    add("")
    add("- **Format normalisation, identical for both classes:** decode (EXIF orientation, alpha onto white), one centred crop of at "
        "most %d px with offsets on the 16-pixel grid (real photographs of at least twice that: two side-by-side crops), JPEG quality "
        "%d, 4:2:0, no metadata. No image is resized." % (opts["cropSize"], opts["jpegQuality"]))
    add("- **Sources:** at most %d images per class and source (seeded choice, seed %d). The fakes-only sources are paired with %s, "
        "each photo group assigned to one of them." % (opts["perSourceCap"], opts["seed"], PHOTOS))
    add("- **Groups** (never split): a news caption's photo and its Gemini picture; a `modern-diffusion` generator (so its test rows "
        "are generators never trained on); an `sdeval-t2i` or `ai-bingo` prompt; a camera model; otherwise the file.")
    dup = prep["duplicates"]
    near = sum(sum(v.values()) for v in dup["nearDuplicatesDropped"].values())
    add("- **Duplicates:** %d exact duplicates dropped (same decoded pixels; %d in both classes), %d near-duplicates dropped (%s)."
        % (dup["exactDropped"], dup["labelConflicts"], near, dup["nearDuplicateRule"]))
    if dup["nearDuplicatesDropped"]:
        add("  Near-duplicates per source and split: %s." % "; ".join(
            "%s %s" % (s, ", ".join("%s %d" % (k, v) for k, v in d.items())) for s, d in sorted(dup["nearDuplicatesDropped"].items())))
    if prep.get("synthetic"):
        syn = prep["synthetic"]
        add("- **AutoGAN-style synthetic fakes** (Zhang, Karaman and Chang 2019): %s — reconstructions of real training photos by small "
            "auto-encoders with transposed-convolution / nearest / bilinear up-sampling (L1, %s steps each), training split only, in the "
            "group of the photo they reconstruct." % (", ".join("%s %d" % (k, v["images"]) for k, v in syn["upsamplers"].items()),
                                                      ", ".join(str(v["steps"]) for v in syn["upsamplers"].values())))
    add("- **Split:** per source and group, seeded (%d), validation %s and test %s of each class; split files and their SHA-256:"
        % (opts["seed"], pct(opts["valFraction"], 0), pct(opts["testFraction"], 0)))
    for s, info in prep["splitFiles"].items():
        add("  - `%s`: `%s`" % (info["file"], info["sha256"]))
    add("  Data hashes (SHA-256 over sorted `<file SHA-256>\\t<label>` lines): train %s, validation %s, test %s; items.csv %s."
        % (training["data"]["train"]["sha256"], training["data"]["val"]["sha256"], training["data"]["test"]["sha256"], prep["itemsSha256"]))
    add("")
    rows = []
    for source, counts in sorted(prep["counts"].items()):
        desc = SOURCE_INFO.get(source, ("synthetic: %s" % source, "ours"))[0]
        rows.append([source, desc] + ["%d / %d" % (counts[s]["real"], counts[s]["fake"]) for s in ("train", "val", "test")])
    tot = prep["total"]
    rows.append(["**total**", ""] + ["%d / %d" % (tot[s]["real"], tot[s]["fake"]) for s in ("train", "val", "test")])
    add(table(["source", "what", "train real / fake", "val real / fake", "test real / fake"], rows))
    add("")

    add("## Results on the test split (Wang et al. layout)")
    add("")
    add("Accuracy at the threshold (%.4f), real and fake accuracy, and AP per source; the mean row counts every source once. "
        "Scored by `provenance evaluate` on the shipped ONNX file." % threshold)
    add("")
    t = model_eval["table"]
    rows = [[r["source"], r["real"], r["fake"], pct(r["accuracy"]), pct(r["realAccuracy"]), pct(r["fakeAccuracy"]), num(r["ap"])] for r in t["rows"]]
    rows.append(["**mean**", "", "", pct(t["mean"]["accuracy"]), pct(t["mean"]["realAccuracy"]), pct(t["mean"]["fakeAccuracy"]), num(t["mean"]["ap"])])
    add(table(["source", "real", "fake", "accuracy", "real acc.", "fake acc.", "AP"], rows))
    add("")
    tr = training["evaluation"]["test"]
    add("The trainer's own scores of the same images (PyTorch, PIL decoding) give accuracy %s and AP %s; the largest difference "
        "between its per-image scores and the app's is %s (see `evaluation/test-items.csv`)."
        % (pct(tr["accuracy"]), num(tr["ap"]), "%.2g" % max(abs(float(r["appScore"]) - float(r["trainerScore"])) for r in test_items.values() if r["appScore"])))
    add("")

    held, loso = experiment_rows(experiments)
    loso_jobs = [e["job"] for e in experiments if e["job"]["data"]["prepare"].get("holdOut")]
    if loso:
        add("## Generalisation to an unseen generator: leave one source out")
        add("")
        add("Trained on two of the three classic sources, validated (early stopping, threshold at 5%% FPR) on their validation split, "
            "tested on the whole third source, never seen. Reduced scale for the CPU budget (at most %d images per class and source, "
            "%d epochs); same crops, inference and calibration as the shipped model. AP / accuracy at the calibrated threshold:"
            % (loso_jobs[0]["data"]["prepare"]["perSourceCap"], loso_jobs[0]["epochs"]))
        add("")
        header = ["route"] + [x for s in held for x in ("%s AP" % s.split("-")[0], "acc.")] + ["mean AP", "mean acc."]
        add(table(header, loso))
        add("")
        for note in sorted({e["note"] for e in experiments if e.get("note")}):
            add("")
            add("Note: " + note)
        add("")
        for line in route_decision(experiments, job, training["evaluation"]):
            add("")
            add(line)
        add("")
        add("Results files: `evaluation/experiments/loso-*.json` (job, data counts, epoch history, calibration, per-source test table).")
        add("")

    base = [e for e in experiments if e["name"].startswith("full-")]
    if base:
        add("## Baseline route on the same split")
        add("")
        rows = []
        for e in base + [{"name": "shipped (%s)" % args.id, "evaluation": training["evaluation"], "job": job}]:
            te = e["evaluation"]["test"]
            rows.append([e["name"], e["job"]["model"]["arch"], num(te["ap"]), pct(te["accuracy"]), num(te["perSource"]["mean"]["ap"]),
                         pct(te["perSource"]["mean"]["accuracy"]), "%.4f" % e["evaluation"]["threshold"]])
        add("Trained on the same prepared splits (a run with AutoGAN fakes adds its synthetic fakes to the training split only), "
            "scored by the trainer (PyTorch) on the same test split:")
        add("")
        add(table(["run", "architecture", "AP", "accuracy", "mean AP over sources", "mean accuracy", "threshold"], rows))
        add("")
        for e in base:
            te = e["evaluation"]["test"]
            add("Per source for %s: %s; false-positive rate %s, false-negative rate %s at its threshold." % (
                e["name"], "; ".join("%s AP %s, acc. %s" % (r["source"], num(r["ap"]), pct(r["accuracy"])) for r in te["perSource"]["rows"]),
                pct(te["fpr"]), pct(te["fnr"])))
        add("")

    if app.get("robustness"):
        add("## Robustness")
        add("")
        add("The test split re-scored after each degradation, applied to the decoded pixels by `provenance evaluate --robustness` "
            "(JPEG re-compression, Gaussian blur, Lanczos downscaling), at the same threshold:")
        add("")
        rows = []
        for c in app["robustness"]["curves"]:
            for p in c["points"]:
                rows.append([c["kind"], "%g" % p["value"], num(p["ap"]), pct(p["accuracy"])])
        add(table(["degradation", "level", "AP", "accuracy"], rows))
        add("")
        add("![robustness](evaluation/robustness.png)")
        add("")

    add("## Leakage baselines")
    add("")
    lk = prep["leakage"]
    add("A format-only classifier (%s; %s) trained on the training split, measured on the test split. On the original files a "
        "detector could learn the container or the compression history; on the normalised files it should be near chance "
        "(AP ≈ share of fakes)." % (lk["features"], lk["model"]))
    add("")
    rows = []
    for view in ("original", "normalised"):
        e = lk.get(view)
        if not e or not e.get("test"):
            continue
        te = e["test"]
        rows.append([view + " files", te["n"], pct(te["fakeShare"]), num(te["ap"]), pct(te["accuracy"]), pct(te["balancedAccuracy"])])
    add(table(["format-only classifier on", "test images", "fake share", "AP", "accuracy", "balanced accuracy"], rows))
    add("")
    worst = []
    norm = lk.get("normalised") or {}
    for source, m in sorted((norm.get("testPerSource") or {}).items()):
        if m and m.get("ap") is not None:
            worst.append("%s %s (balanced acc. %s)" % (source, num(m["ap"]), pct(m["balancedAccuracy"])))
    if worst:
        add("Per source on the normalised test files (AP): %s. Where this is well above the share of fakes, the file size after the "
            "common re-encoding still differs between the classes of that source (content or compression history: e.g. reals "
            "already JPEG-compressed once, fakes from lossless PNG), and the detector's numbers on that source may partly reflect it."
            % "; ".join(worst))
    add("")

    add("## Known failure modes")
    add("")
    rows_src = model_eval["table"]["rows"]
    weak = sorted([r for r in rows_src if r["ap"] is not None], key=lambda r: r["ap"])[:3]
    add("- Weakest sources on the test split: %s." % "; ".join("%s (AP %s, real acc. %s, fake acc. %s)" % (
        r["source"], num(r["ap"]), pct(r["realAccuracy"]), pct(r["fakeAccuracy"])) for r in weak))
    fps = model_eval["falsePositives"][:6]
    fns = model_eval["falseNegatives"][:6]

    def example(pick):
        item = test_items.get(os.path.normpath(os.path.join("splits", pick["path"])))
        origin = item["origin"] if item else pick["path"]
        gen = " (%s)" % item["generator"] if item and item["generator"] else ""
        return "`%s`%s score %.3f" % (origin, gen, pick["score"])

    if fps:
        add("- **Real images flagged as generated** (highest scores first, from the false-positive gallery): %s." % "; ".join(example(p) for p in fps))
    if fns:
        add("- **Generated images missed** (lowest scores first): %s." % "; ".join(example(p) for p in fns))
    add("- Images unlike the training material: screenshots, scans, drawings, heavily filtered or re-compressed social-media copies, "
        "images smaller than %d px (scored on a padded crop), camera raw developments with strong denoising (smooth like a "
        "diffusion image), and generators released after the training data (%s)." % (manifest["input"]["width"], "2026-11"))
    add("- Partially generated or edited images (in-painting, face swaps, splices) are not what this detector was trained on; "
        "use the manipulation and face-swap detectors.")
    add("")

    add("## Reproduce")
    add("")
    timing = training.get("timing") or {}
    history = (training.get("version") or {}).get("history") or timing.get("history") or []
    train_seconds = sum(h["seconds"] for h in history) if history else None
    add("```sh")
    add("npx provenance train --job %s        # prepares the data from ../shared, trains, calibrates, exports, checks ONNX parity" % training["jobFile"])
    add("/usr/bin/python3 scripts/ship-generated-model.py --run <training folder>/%s --id %s --experiments <results>" % (
        os.path.splitext(os.path.basename(training["jobFile"]))[0], args.id))
    add("npx provenance evaluate <training folder>/datasets/%s/splits/test.csv --models %s --robustness   # the numbers above" % (
        training["preparedKey"], args.id))
    add("```")
    add("")
    add("Seed %d (training order, augmentation, split and selection all derive from it and from the recipe's seed %d). "
        "Hardware: %s; %s. Data preparation %s s, training %s, whole command %s. The leave-one-source-out runs: "
        "`/usr/bin/python3 scripts/run-training-experiments.py --runs-dir <training folder> --out <results> "
        "resources/training/jobs/experiments/generated/*.json`."
        % (job["seed"], opts["seed"], timing.get("hardware") or "%s, %s" % (platform.machine(), "CPU"),
           "device %s" % ((training.get("version") or {}).get("device") or {}).get("name", "cpu"),
           prep.get("seconds", "–"), ("%.0f s over %d epochs" % (train_seconds, len(history))) if train_seconds else "–",
           ("%.0f s wall clock, %.0f s of CPU time" % (timing["wallSeconds"], timing["cpuSeconds"]) if timing.get("cpuSeconds")
            else "%.0f s" % timing["wallSeconds"]) if timing.get("wallSeconds") else "–"))
    add("The agreement test (`tests/training/generatedModel.test.ts`) rebuilds a slice of the test split from ../shared byte for byte "
        "and checks that `provenance evaluate` reproduces the scores in `evaluation/test-items.csv`.")
    add("")

    add("## Licences and intended use")
    add("")
    add("- **Weights:** our own, trained here%s. The ONNX file may ship with the app." % (
        " from the ImageNet MobileNetV2 weights (TensorFlow slim QAT release converted to torchvision layout), **Apache-2.0**, which "
        "permits derivatives" if arch == "mobilenet_v2" else " from scratch (no pretrained weights; NPR written from the paper, whose "
        "repository has no licence and was not used)"))
    add("- **Training data:** research samples with mostly unknown or non-commercial licences (per source below); they are not "
        "redistributed with the app, only the weights learned from them.")
    for source in sorted(prep["counts"]):
        if source in SOURCE_INFO:
            add("  - `%s`: %s — licence: %s." % (source, SOURCE_INFO[source][0], SOURCE_INFO[source][1]))
    add("  - reals for the fakes-only sources: %s." % PHOTOS)
    add("- **Intended use:** triage in a forensic workstation: rank and flag images whose pixels resemble generated ones, for a "
        "human examiner to review with other evidence. **Not for:** deciding alone that an image is fake or authentic, judging "
        "people, automated moderation or takedowns, or any claim about images unlike the training material (see failure modes).")
    add("")
    with open(os.path.join(out, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")
    print("wrote %s" % os.path.join(out, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
