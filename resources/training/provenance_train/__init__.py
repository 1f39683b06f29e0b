"""Provenance Lab's training backend: fine-tunes detectors on labelled images and exports them
to ONNX + manifest.json for the app's model registry.

The app runs ``train.py`` as a child process and reads JSON lines from its stdout (see
``events.py``); nothing here imports Electron-side code or needs the network.
"""

# Version of the JSON-lines protocol (TRAINER_PROTOCOL in src/contract/training.ts). Every event
# carries it; the app refuses lines of another version instead of misreading them.
PROTOCOL_VERSION = 2
