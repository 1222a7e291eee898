"""The README stays honest: its commands, configuration reference and formats match the code."""
import os
import re
import subprocess
import sys

from dataset.keypoint_formats import registered_formats
from posecut.config import config_reference
from conftest import ROOT


def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        return handle.read()


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    first_block = re.search(r"```bash\n(.*?)```", readme(), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as handle:
        ci = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    assert "make test" in ci


def test_every_config_key_is_in_the_reference_with_its_default():
    text = readme()
    for key, _, default, _ in config_reference():
        row = re.search(rf"^\| `{key}` \| [^|]+ \| `([^`]*)` \|", text, re.M)
        assert row, key
        shown = row.group(1)
        if default is None:
            assert shown == "null"
        elif isinstance(default, str):
            assert shown == f'"{default}"', key
        elif isinstance(default, bool):
            assert shown == str(default).lower(), key
        else:
            assert shown == str(default), key


def test_every_registered_format_is_listed():
    text = readme()
    for name in registered_formats():
        assert f"| `{name}` |" in text, name


def test_the_python_examples_run_as_written():
    """The README's Python blocks, in order, in one interpreter from the repository's root."""
    blocks = re.findall(r"```python\n(.*?)```", readme(), re.S)
    assert len(blocks) >= 2
    script = "\n".join(blocks) + "\nassert pose.shape[1] == 3 and len(people.poses) >= 1\n"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
