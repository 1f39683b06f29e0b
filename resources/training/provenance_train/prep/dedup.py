"""Near-duplicate detection with 64-bit difference hashes (dHash: is each of 8×8 grey pixels of a
9×8 thumbnail brighter than its right neighbour?). Robust to re-encoding and mild resizing; two
images within a few bits of each other are treated as the same picture."""
import numpy as np
from PIL import Image

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def dhash64(img):
    grey = img.convert("L").resize((9, 8), Image.BILINEAR)
    px = np.asarray(grey, dtype=np.int16)
    bits = (px[:, 1:] > px[:, :-1]).flatten()
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return "%016x" % value


def _as_array(hashes):
    return np.array([int(h, 16) for h in hashes], dtype=np.uint64)


def min_distances(queries, references, chunk=256):
    """For each query hash, the smallest Hamming distance to any reference hash (65 when there
    are no references)."""
    q, r = _as_array(queries), _as_array(references)
    out = np.full(len(q), 65, dtype=np.int64)
    if len(r) == 0:
        return out
    for start in range(0, len(q), chunk):
        x = np.bitwise_xor(q[start:start + chunk, None], r[None, :])
        bits = _POPCOUNT[x.view(np.uint8)].reshape(x.shape[0], x.shape[1], 8).sum(axis=2)
        out[start:start + chunk] = bits.min(axis=1)
    return out


def near_duplicates(items, max_distance, order=("train", "val", "test")):
    """Items of a later split (val after train, test after both) within ``max_distance`` bits of
    an item in an earlier split: the ones to drop so that no picture is on both sides."""
    dropped = []
    earlier = []
    for split in order:
        members = [it for it in items if it["split"] == split]
        if earlier and members:
            dist = min_distances([it["dhash"] for it in members], [it["dhash"] for it in earlier])
            drop = [it for it, d in zip(members, dist) if d <= max_distance]
            dropped += drop
            drop_ids = {id(it) for it in drop}
            members = [it for it in members if id(it) not in drop_ids]
        earlier += members
    return dropped
