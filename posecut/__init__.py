"""posecut: DeeperCut / ArtTrack multi-person pose estimation on TensorFlow 2."""
