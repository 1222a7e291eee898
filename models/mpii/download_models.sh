#!/usr/bin/env bash
# Fetches DeeperCut's published single-person MPII model (ResNet-101, TF1 checkpoint with slim
# names) into this folder; it loads unchanged with models/mpii/pose_cfg.yaml:
#   .venv/bin/python demo/singleperson.py --config models/mpii/pose_cfg.yaml \
#       --weights models/mpii/mpii-single-resnet-101 --image demo/images/skier.jpg
# Needs internet; nothing in the tests does.
set -euo pipefail
cd "$(dirname "$0")"
BASE=https://datasets.d2.mpi-inf.mpg.de/deepercut-models-tensorflow
fetch() { if command -v curl >/dev/null; then curl -fL -O "$1"; else wget "$1"; fi; }
for part in data-00000-of-00001 index; do
    fetch "$BASE/mpii-single-resnet-101.$part"
done
echo "done: weights models/mpii/mpii-single-resnet-101"
