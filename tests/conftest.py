"""Test set-up: quiet TensorFlow's C++ logging, make the repository importable, the fixtures
many test files share (the repository's root, the real samples beside it), and the slow tests first.

Tests sit in a folder per package they test (lib, nnet, dataset, multiperson, posecut) and one
for the project as a whole (documents, demos, layering, bad input); the helpers they share
(builders, references, problem sets) sit here beside this file. Mark a module that runs end to
end with ``pytestmark = pytest.mark.slow``: `pytest -m "not slow"` then gives a quick round."""
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The repository's root folder (for module-level paths; tests take the ``root`` fixture)."""
SAMPLES = os.path.join(os.path.dirname(ROOT), "shared", "data", "samples")
"""Where the real annotated samples are when the shared folder sits beside the repository."""
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture(scope="module")
def root() -> Path:
    """The repository's root folder."""
    return Path(ROOT)


@pytest.fixture(scope="module")
def samples() -> Path:
    """The folder of real annotated samples (../shared/data/samples); the test is skipped when it
    is absent, as on a clone without the shared folder."""
    if not os.path.isdir(SAMPLES):
        pytest.skip(f"real samples not found at {SAMPLES}")
    return Path(SAMPLES).resolve()


@pytest.fixture
def sample(samples):
    """A function: the path of a file or folder under the samples, skipping the test if absent."""
    def path(*parts) -> Path:
        found = samples.joinpath(*parts)
        if not found.exists():
            pytest.skip(f"sample {found} is absent")
        return found

    return path


def pytest_collection_modifyitems(items):
    """Run the tests marked longest (minutes each: clusters, several training workers) first,
    then the others marked slow (end to end: subprocesses, training, export), so that on few
    cores the long ones do not end up last in one worker's queue while the other idles."""
    items.sort(key=lambda item: (item.get_closest_marker("longest") is None,
                                 item.get_closest_marker("slow") is None))
