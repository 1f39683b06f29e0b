"""Perceptual hashes for duplicate detection across splits.

- dHash (64 bits): sign of horizontal differences of a 9x8 grey thumbnail (the hash the shared
  dataset manifests use, so distances are comparable with theirs).
- pHash (64 bits): signs of the 8x8 lowest DCT coefficients of a 32x32 grey thumbnail, against
  their median (Zauner 2010), robust to re-compression and mild rescaling.

Two images are near-duplicates when either distance is within its limit. ``DuplicateGroups``
joins near-duplicates (and byte- or pixel-identical files) into connected components, so a split
that keeps each component on one side has no near-duplicate across sides.
"""
import math

import numpy as np
from PIL import Image

DHASH_LIMIT = 6
PHASH_LIMIT = 8


def _grey(img, size):
    return np.asarray(img.convert("L").resize(size, Image.BILINEAR), dtype=np.float64)


def dhash(img):
    g = _grey(img, (9, 8))
    bits = (g[:, 1:] > g[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def _dct_matrix(n):
    m = np.zeros((n, n))
    for k in range(n):
        for i in range(n):
            m[k, i] = math.cos(math.pi * (2 * i + 1) * k / (2 * n)) * (math.sqrt(1 / n) if k == 0 else math.sqrt(2 / n))
    return m


_DCT32 = _dct_matrix(32)


def phash(img):
    g = _grey(img, (32, 32))
    coeffs = (_DCT32 @ g @ _DCT32.T)[:8, :8].flatten()
    median = np.median(coeffs[1:])
    bits = coeffs > median
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a, b):
    return bin(a ^ b).count("1")


def hashes(img):
    return {"dhash": dhash(img), "phash": phash(img)}


def near_duplicate(h1, h2, dhash_limit=DHASH_LIMIT, phash_limit=PHASH_LIMIT):
    return hamming(h1["dhash"], h2["dhash"]) <= dhash_limit or hamming(h1["phash"], h2["phash"]) <= phash_limit


class DuplicateGroups:
    """Union-find over item indices."""

    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, i):
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)
            return True
        return False


def near_duplicate_pairs(hash_list, dhash_limit=DHASH_LIMIT, phash_limit=PHASH_LIMIT):
    """Every pair (i, j), i < j, of near-duplicates, with both distances. Quadratic, fine for a
    few thousand images."""
    d = np.array([h["dhash"] for h in hash_list], dtype=np.uint64)
    p = np.array([h["phash"] for h in hash_list], dtype=np.uint64)
    pairs = []
    for i in range(len(hash_list)):
        if i + 1 >= len(hash_list):
            break
        dd = _popcount(d[i + 1:] ^ d[i])
        pd = _popcount(p[i + 1:] ^ p[i])
        for k in np.nonzero((dd <= dhash_limit) | (pd <= phash_limit))[0]:
            j = i + 1 + int(k)
            pairs.append((i, j, int(dd[k]), int(pd[k])))
    return pairs


_BYTE_BITS = np.array([bin(v).count("1") for v in range(256)], dtype=np.int64)


def _popcount(x):
    """Bits set in each uint64 of x."""
    as_bytes = np.ascontiguousarray(x, dtype=np.uint64).view(np.uint8).reshape(-1, 8)
    return _BYTE_BITS[as_bytes].sum(axis=1)
