#!/usr/bin/env bash
# Runs on the lent GPU machine (see prepare.sh), from the repository root, writing to $OUT/log:
#   1. a ResNet-50 (random weights, CNNDetection layout) converted to ONNX by our converter;
#   2. bench/detector.ts: model throughput, CPU baseline and WebGPU in the same process;
#   3. bench/run.ts: goals 1-3 and 6 of issue 15 with that model on WebGPU (auto order),
#      with 2, 4, 8 and 16 prepare workers;
#   4. bench/train-gpu.py: one epoch of ResNet-50 fine-tuning on 10,000 crops through our trainer.
set -uo pipefail
exec > >(tee -a "${OUT:-/tmp}/log") 2>&1
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
W=/tmp/pl; mkdir -p $W
xz -dc .gpu/node.xz > $W/node && chmod +x $W/node
tar xJf .gpu/mods.tar.xz -C .gpu
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader; nproc
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
echo "== convert a random-init CNNDetection ResNet-50 checkpoint"
python3 - <<'PY'
import torch, torchvision
m = torchvision.models.resnet50()
m.fc = torch.nn.Linear(2048, 1)
torch.save({"model": m.state_dict()}, "/tmp/pl/ck.pth")
PY
python3 resources/training/convert.py cnndetection --checkpoint $W/ck.pth --out $W/models --id resnet50-random | tail -2
export PROVENANCE_MODELS_DIR=$W/models
echo "== detector throughput (cpu baseline vs webgpu)"
timeout 150 $W/node .gpu/detector.mjs --count 512 --batch 16
echo "== analyze pipeline, auto provider"
timeout 400 $W/node .gpu/run.mjs --only 1,2,3,6 --large ${LARGE:-16} --small ${SMALL:-200} --rounds 2 --ep auto --workers-sweep 2,4,8,16
echo "== one epoch of ResNet-50 fine-tuning on 10,000 crops"
PYTHONUNBUFFERED=1 timeout 240 python3 bench/train-gpu.py ${TRAIN_ARGS:-}
