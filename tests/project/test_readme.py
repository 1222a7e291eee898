"""The README stays honest: it opens with the two commands, and its Python example runs as
written (the documents' other checks, README included, are in test_docs.py)."""
import os
import re

import pytest
from conftest import ROOT
from test_docs import python_blocks, read, run_python


def readme():
    return read(os.path.join(ROOT, "README.md"))


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    first_block = re.search(r"```bash\n(.*?)```", readme(), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as handle:
        ci = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert "make test" in ci


def test_the_readme_is_short():
    assert len(readme().splitlines()) <= 200


def test_the_python_example_uses_only_the_entry_point():
    """The README's Python imports posecut and nothing else of the project."""
    script = "\n".join(python_blocks(readme()))
    imports = re.findall(r"^\s*(?:from\s+(\S+)\s+import|import\s+(\S+))", script, re.M)
    assert {a or b for a, b in imports} == {"posecut"}


@pytest.mark.slow
def test_the_python_example_runs_as_written(tmp_path):
    """The README's Python blocks, in order, in one interpreter from the repository's root (on
    a 1 s clip where they read out/clip.mp4), then a check of what they found."""
    blocks = python_blocks(readme())
    assert blocks
    script = "\n".join(blocks) + (
        "\nfirst = predictor.image('demo/images/people.png')"
        "\nassert len(first.poses) >= 1 and first.poses.shape[1:] == (17, 3)"
        "\nassert first.scores.shape == (len(first.poses),)"
        "\nassert index >= 1 and len(found.track_ids) == len(found.poses)\n")
    failed = run_python(script, str(tmp_path))
    assert failed is None, failed
