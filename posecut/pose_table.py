"""Poses as a flat table, one row per person per image or video frame: source, frame, person, then
x, y and likelihood of every part (DeepLabCut's own layout, with its header rows, is
posecut.dlc_files')."""
import csv
import math

__all__ = ["PoseTable", "pose_table_header"]


def pose_table_header(part_names):
    """The column names: source, frame, person, then <part>_x, <part>_y, <part>_likelihood."""
    return ["source", "frame", "person"] + [f"{name}_{column}" for name in part_names
                                            for column in ("x", "y", "likelihood")]


class PoseTable:
    """A CSV file written row by row as poses come; use it as a context manager. A part not
    found (score 0, or not finite) has empty x and y and likelihood 0."""

    def __init__(self, path, part_names):
        self.path, self.names = path, list(part_names)
        self._file = open(path, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(pose_table_header(self.names))

    def add(self, source, frame, poses):
        """One row per person of ``poses`` (K, J, 3) found in ``source`` (a file; ``frame``, the
        frame's index in a video, else empty)."""
        for person, pose in enumerate(poses):
            if len(pose) != len(self.names):
                raise ValueError(f"{self.path}: expected poses of {len(self.names)} parts, got "
                                 f"{len(pose)}")
            row = [source, "" if frame is None else frame, person]
            for x, y, score in pose:
                found = score > 0 and math.isfinite(x) and math.isfinite(y)
                row += [f"{x:.2f}", f"{y:.2f}", f"{score:.4f}"] if found else ["", "", 0]
            self._writer.writerow(row)

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
