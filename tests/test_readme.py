"""The README stays honest: its commands, configuration reference and formats match the code."""
import os
import re

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
