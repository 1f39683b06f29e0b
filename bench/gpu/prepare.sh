#!/usr/bin/env bash
# Packs what the GPU machine needs to run the benchmarks without npm: the node binary, the few
# native packages (onnxruntime-node linux/x64 with its WebGPU provider, sharp), the benchmarks
# bundled by esbuild, and the Vulkan loader debs. Output: .gpu/ and .gl/ (git-ignored via
# .git/info/exclude), carried by the device tool's `run`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu .gl
# The worker-thread entries go beside run.mjs, where src/main/workerThreads.ts looks for them.
npx esbuild bench/run.ts bench/detector.ts src/main/pipeline/prepareWorker.ts src/main/inference/inferenceWorker.ts \
  --bundle --platform=node --format=esm --target=node20 --outdir=.gpu --entry-names='[name]' --splitting \
  --out-extension:.js=.mjs --external:sharp --external:onnxruntime-node --external:better-sqlite3 \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
[ -f .gpu/node.xz ] || xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
tar cJf .gpu/mods.tar.xz node_modules/onnxruntime-common node_modules/onnxruntime-node/package.json \
  node_modules/onnxruntime-node/dist node_modules/onnxruntime-node/lib node_modules/onnxruntime-node/bin/napi-v*/linux/x64 \
  node_modules/sharp node_modules/@img/sharp-linux-x64 node_modules/@img/sharp-libvips-linux-x64 node_modules/@img/colour \
  node_modules/detect-libc node_modules/semver
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh .gpu .gl
