"""Many inputs on many workers: `posecut predict --ray` and `posecut track --ray` run decoding, the
network and grouping as Ray Data stages, write each input's files as one process writes them
(atomically), and keep a manifest of the finished inputs so that a rerun goes on where a run
ended. Ray is imported only here, and only when a run asks for it (the `cluster` extra)."""
