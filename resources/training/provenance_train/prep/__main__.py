"""python3 -m provenance_train.prep --shared DIR --out DIR [--options JSON] [--regenerate CSV]:
the "generated" recipe outside a training job (see generated.main)."""
from .generated import main

main()
