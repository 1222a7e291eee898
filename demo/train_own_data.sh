#!/usr/bin/env bash
# Training a multi-person model on your own keypoint data, from annotations to people in images.
# Run from the repository root after `make demo` or `make test` (they set up .venv/):
#   bash demo/train_own_data.sh
# It stands in synthetic people for "your data" (step 1); replace that step by your annotations
# in any layout convert-dataset reads (--from aic, crowdpose, ochuman, mpii, halpe,
# cocowholebody, coco, deeplabcut). Sizes come from the environment, for a quick try:
#   NUM_TRAIN=200 NUM_VAL=20 STEPS=200 bash demo/train_own_data.sh
set -euo pipefail

WORK=${WORK:-work/own_data}
NUM_TRAIN=${NUM_TRAIN:-2000}
NUM_VAL=${NUM_VAL:-100}
STEPS=${STEPS:-2000}
SIZE=${SIZE:-256}
BIN=.venv/bin
BUNDLED=$PWD/models/synthetic_multi/model/weights
mkdir -p "$WORK"

# 1. Your annotations and images (here: synthetic people written as COCO keypoint JSON).
$BIN/python -m dataset.synthetic --out "$WORK/raw/train" --num "$NUM_TRAIN" --size "$SIZE" "$SIZE" \
    --people 1 6 --min-height 48 --seed 21
$BIN/python -m dataset.synthetic --out "$WORK/raw/val" --num "$NUM_VAL" --size "$SIZE" "$SIZE" \
    --people 1 6 --min-height 48 --seed 22

# 2. Convert them to COCO-17 keypoint JSON (checks every record; prints a table of joints).
for split in train val; do
    $BIN/posecut convert-dataset --from coco "$WORK/raw/$split/person_keypoints.json" \
        --images "$WORK/raw/$split" --output "$WORK/$split.json"
done

# 3. A config: the bundled model's, fine-tuned from its weights on the new data.
cat > "$WORK/pose_cfg.yaml" <<CFG
dataset_type: coco
dataset: train.json
keypoint_format: coco17
num_joints: 17
all_joints: [[0], [1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]]
all_joints_names: [nose, eye, ear, shoulder, elbow, wrist, hip, knee, ankle]
net_type: mobilenet_v2_0.5
init_weights: $BUNDLED
train_batchnorm: true
pos_dist_thresh: 12
location_refinement: true
locref_huber_loss: true
locref_loss_weight: 0.05
pairwise_predict: true
pairwise_huber_loss: true
pairwise_loss_weight: 0.1
pairwise_stats_fn: pairwise_stats.mat
pairwise_model_dir: pairwise_model
det_min_score: 0.25
edge_gate_stds: 4.0
edge_offset_gate_px: 48.0
min_person_parts: 3
optimizer: adam
batch_size: 8
multi_step: [[0.0005, $STEPS]]
save_iters: $STEPS
display_iters: 100
CFG

# 4. Statistics of the offsets between joints (they normalise the pairwise head's targets).
$BIN/posecut pairwise-stats "$WORK/pose_cfg.yaml"
# 5. Train (resumes by itself if interrupted); snapshots land beside the config.
$BIN/posecut train "$WORK/pose_cfg.yaml" --no-progress
# 6. Fit the pairwise spatial model of the trained network (DeeperCut's MATLAB step).
$BIN/posecut fit-pairwise "$WORK/pose_cfg.yaml" --weights "$WORK/snapshot-$STEPS" --no-progress
# 7. COCO keypoint AP/AR on the held-out images.
$BIN/posecut evaluate "$WORK/pose_cfg.yaml" --weights "$WORK/snapshot-$STEPS" \
    --dataset "$WORK/val.json" --metrics "$WORK/metrics.json" --no-progress
# 8. People in new images (a folder, files or videos): COCO results JSON and drawings.
$BIN/posecut predict "$WORK/raw/val" --config "$WORK/pose_cfg.yaml" \
    --weights "$WORK/snapshot-$STEPS" --output "$WORK/predict" --no-progress
echo "done: $WORK/metrics.json, $WORK/predict/"
