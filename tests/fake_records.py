"""A minimal training record (image path, joints, no ignore regions) for pipeline and training tests."""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Record:
    image_path: str
    joints: np.ndarray

    def ignore_mask(self):
        return None
