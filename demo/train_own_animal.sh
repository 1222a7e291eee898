#!/usr/bin/env bash
# A DeepLabCut-style project, from labelled frames to a filtered video: one animal (or person)
# per frame, its body parts in a format of your own, errors in pixels, a per-frame table.
# Run from the repository root after `make demo` or `make test` (they set up .venv/):
#   bash demo/train_own_animal.sh
# Step 1 stands in synthetic frames for your labelled ones (labeled-data/<video>/ and its
# CollectedData_<scorer>.csv, as DeepLabCut writes them) and writes the format of the five parts
# (critter.yaml); put your project and your format file there and keep the rest. Sizes come from
# the environment, for a quick try:
#   NUM=60 STEPS=100 bash demo/train_own_animal.sh
set -euo pipefail

WORK=${WORK:-work/own_animal}
NUM=${NUM:-300}
STEPS=${STEPS:-1500}
SIZE=${SIZE:-160}
SECONDS_OF_VIDEO=${SECONDS_OF_VIDEO:-4}
BIN=.venv/bin
BUNDLED=$PWD/models/synthetic_multi/model/weights
mkdir -p "$WORK"

# 1. Your labelled frames, DeepLabCut's table and your keypoint format (here: synthetic ones).
$BIN/python demo/labeled_frames.py --out "$WORK" --num "$NUM" --size "$SIZE" "$SIZE"

# 2. The table as COCO keypoint JSON (checks every row; prints a table of the parts).
$BIN/posecut convert-dataset --from deeplabcut "$WORK/labeled-data/video1/CollectedData_you.csv" \
    --format "$WORK/critter.yaml" --output "$WORK/all.json"

# 3. Hold out 10 % of the frames, fixed by the seed.
$BIN/posecut split "$WORK/all.json" --test-fraction 0.1 --seed 1 --output "$WORK"

# 4. A config: the format's five parts, location refinement, no pairwise head (one subject per
#    frame), starting from the bundled model's backbone (its 17-joint heads do not fit and are
#    left out, with a warning that names them).
cat > "$WORK/pose_cfg.yaml" <<CFG
dataset_type: coco
dataset: train.json
keypoint_format: critter.yaml
net_type: mobilenet_v2_0.5
init_weights: $BUNDLED
train_batchnorm: true
mirror: true
pos_dist_thresh: 10
location_refinement: true
locref_huber_loss: true
locref_loss_weight: 0.05
optimizer: adam
batch_size: 8
multi_step: [[0.001, $STEPS]]
save_iters: $STEPS
display_iters: 100
CFG

# 5. Train (resumes by itself if interrupted or stopped with SIGTERM).
$BIN/posecut train "$WORK/pose_cfg.yaml" --no-progress
# 6. Errors in pixels on the training and the held-out frames, per part, with and without the
#    likelihood cut-off.
$BIN/posecut evaluate "$WORK/pose_cfg.yaml" --weights "$WORK/snapshot-$STEPS" \
    --dataset "$WORK/train.json" "$WORK/test.json" --metrics "$WORK/errors.json" --no-progress
# 7. A video of the subject (here: a synthetic one moving across the frame) and the model over
#    it: annotated MP4, COCO results and a per-frame CSV of x, y and likelihood per part, each
#    part's track median-filtered over 5 frames.
$BIN/python demo/make_video.py --people 1 --size "$SIZE" "$SIZE" --seconds "$SECONDS_OF_VIDEO" \
    --output "$WORK/video.mp4"
$BIN/posecut predict "$WORK/video.mp4" --config "$WORK/pose_cfg.yaml" \
    --weights "$WORK/snapshot-$STEPS" --filter-window 5 --output "$WORK/predict" --no-progress
echo "done: $WORK/errors.json, $WORK/predict/"
