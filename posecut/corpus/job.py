"""What a distributed run does, as one typed value handed to every stage: the command, the model,
the output folder and how its files are drawn and cut."""
import os
from dataclasses import dataclass
from typing import Optional

__all__ = ["CorpusJob", "PARTS", "part_path"]

PARTS = ".corpus"
"""The output folder's subfolder of intermediate files (each input's poses), kept for reruns."""


@dataclass(frozen=True)
class CorpusJob:
    """A predict or track run over many inputs; paths absolute, so that any worker finds them."""

    command: str
    """'predict' or 'track'."""
    config: str
    weights: Optional[str]
    output: str
    draw: bool = True
    drawing: object = None
    """predict: the multiperson.draw.PoseDrawing of the images and videos."""
    part_names: tuple = ()
    dlc_scorer: Optional[str] = None
    """predict: DeepLabCut's H5 and CSV per video under this scorer; None: not written."""
    dlc_multi: bool = True
    tracker: str = "arttrack"
    temporal_model: Optional[str] = None
    trail: int = 15
    images_per_unit: int = 256
    """Images one decoding task reads (it hands them on in rows of row_pixels)."""
    row_pixels: int = 8_000_000
    """Images, or a video's frames, go down the pipeline in rows of about this many pixels: a
    row's work outweighs the pipeline's cost per row (about 0.5 s on 2 cores), and its raw
    outputs stay a few hundred megabytes at most."""
    chunk_frames: int = 512
    """track: frames of a long video tracked by one worker (chunks overlap by the tracker's window)."""
    network_cpus: float = 0.5
    network_gpus: float = 0.0

    def manifest_settings(self) -> dict:
        """What decides the results, as the manifest records it: a folder holds one such run."""
        return {"command": self.command, "config": self.config, "weights": self.weights,
                "tracker": self.tracker if self.command == "track" else None,
                "temporal_model": self.temporal_model if self.command == "track" else None}


def part_path(job: CorpusJob, name: str) -> str:
    """Where the intermediate file ``name`` of the run lies."""
    return os.path.join(job.output, PARTS, name)
