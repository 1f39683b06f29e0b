"""Training-data synthesis: forgeries with masks made from authentic photos (manipulation.py),
perceptual hashes and duplicate grouping (phash.py), tamper-region shapes (regions.py).

Outputs go to a folder the caller names (never into the repository). Every random choice comes
from a ``random.Random`` seeded per image, so the same seed gives the same files.
"""
