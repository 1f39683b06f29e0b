#!/usr/bin/env python3
"""Makes training data that the shared datasets lack. Outputs go to --out (keep it out of the
repository: training-data/ is ignored by git).

  synthesize.py manipulation --shared ../shared --out training-data/manipulation [--seed N]
      forgeries (splice, copy-move, retouch) with masks from the authentic photos in
      shared/datasets/photos and cameras; see provenance_train/synth/manipulation.py

  synthesize.py manipulation-eval --shared ../shared --out DIR
      CSV manifests of the real CASIA v2 / IMD2020 images (never trained on) for evaluation

  synthesize.py faces --shared ../shared --out training-data/faces [--seed N]
      the face-swap split of the DFDC face crops by source video, near-duplicates joined
      first; see provenance_train/synth/faces.py

Progress goes to stderr; the last stdout line is the report as JSON.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    m = sub.add_parser("manipulation", help="forgeries with masks from authentic photos")
    m.add_argument("--shared", required=True, help="the shared folder (holds datasets/)")
    m.add_argument("--out", required=True, help="output folder (created; existing files are overwritten)")
    m.add_argument("--seed", type=int, default=20261201)
    m.add_argument("--per-photo-train", type=int, default=4, help="authentic and forged images per training photo (each)")
    m.add_argument("--per-photo-val", type=int, default=3, help="authentic and forged images per validation photo (each)")
    m.add_argument("--val-fraction", type=float, default=0.2)
    m.add_argument("--limit-photos", type=int, default=None, help="use only this many photos (quick trials)")
    ev = sub.add_parser("manipulation-eval", help="CSV manifests of the real CASIA v2 / IMD2020 evaluation images")
    ev.add_argument("--shared", required=True)
    ev.add_argument("--out", required=True, help="folder for the CSV files (paths inside are relative to it)")
    fa = sub.add_parser("faces", help="group-aware split of the DFDC face crops")
    fa.add_argument("--shared", required=True, help="the shared folder (holds datasets/)")
    fa.add_argument("--out", required=True, help="output folder")
    fa.add_argument("--seed", type=int, default=20261201)
    fa.add_argument("--csv-dir", default=None, help="folder for train/val/test.csv (paths inside relative to it); default --out")
    args = parser.parse_args(argv)

    def log(message):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    if args.what == "manipulation-eval":
        from provenance_train.synth.evaluation_sets import write_evaluation_sets

        print(json.dumps(write_evaluation_sets(os.path.abspath(args.shared), os.path.abspath(args.out))))
        return 0

    if args.what == "faces":
        from provenance_train.synth.faces import FaceSplitError, split_faces

        try:
            report = split_faces(os.path.abspath(args.shared), os.path.abspath(args.out), seed=args.seed, log=log, csv_dir=args.csv_dir)
        except FaceSplitError as err:
            log("synthesize: %s" % err)
            return 1
        print(json.dumps(report))
        return 0

    from provenance_train.synth.manipulation import SynthError, synthesize

    try:
        report = synthesize(os.path.abspath(args.shared), os.path.abspath(args.out), seed=args.seed,
                            per_photo={"train": args.per_photo_train, "val": args.per_photo_val},
                            val_fraction=args.val_fraction, limit_photos=args.limit_photos, log=log)
    except SynthError as err:
        log("synthesize: %s" % err)
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
