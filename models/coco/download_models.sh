#!/usr/bin/env bash
# Fetches DeeperCut's published multi-person COCO model (ResNet-101, TF1 checkpoint with slim
# names) and its pairwise files (pairwise_stats.mat, spatial_model_cidx_*.mat) into this folder.
# They load unchanged with models/coco/pose_cfg.yaml. Needs internet; nothing in the tests does.
set -euo pipefail
cd "$(dirname "$0")"
BASE=https://datasets.d2.mpi-inf.mpg.de/deepercut-models-tensorflow
fetch() { if command -v curl >/dev/null; then curl -fL -O "$1"; else wget "$1"; fi; }
for part in data-00000-of-00001 index; do
    fetch "$BASE/coco-resnet-101.$part"
done
fetch "$BASE/pairwise_coco.tar.gz"
tar xzf pairwise_coco.tar.gz
rm pairwise_coco.tar.gz
echo "done: weights models/coco/coco-resnet-101, pairwise files in models/coco/pairwise/"
