"""posecut: DeeperCut / ArtTrack multi-person pose estimation on TensorFlow 2.

``posecut.Predictor`` and ``posecut.Tracker`` are the Python entry point (posecut.api); they are
imported on first use, so that `import posecut` and the command stay light.
"""

__all__ = ["Predictor", "Tracker"]


def __getattr__(name):
    if name in __all__:
        from posecut import api

        return getattr(api, name)
    raise AttributeError(f"module 'posecut' has no attribute {name!r}")
