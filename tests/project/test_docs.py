"""The documents stay true: README.md and docs/*.md run, parse and link as written.

Their Python blocks run (a block fenced as ```python no-run is shown, not run); every `posecut`
command line parses with the command's own parser; every script a command runs, every file a
document links to and every repository path it names exists; the keypoint formats are all
listed; and nothing in them speaks of how the work was organised.
"""
import argparse
import glob
import importlib.util
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT
from dataset.keypoint_formats import get_format, registered_formats
from posecut.cli import build_parser
from posecut.config import CONFIG_KEYS

pytestmark = pytest.mark.slow

DOCS = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
DOCUMENTS = [os.path.join(ROOT, "README.md"), *DOCS]
NO_RUN = "no-run"
"""A word after ```python that marks a block shown but not run (it needs a download or a
trained model)."""
CLIP = "out/clip.mp4"
"""The clip the documents make with demo/make_video.py; the test makes a short one in its place."""


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def name(path):
    return os.path.relpath(path, ROOT)


def fenced_blocks(text):
    """(info string, body) of every fenced block, in order."""
    return re.findall(r"^```([^\n]*)\n(.*?)^```", text, re.M | re.S)


def python_blocks(text, runnable=True):
    """The bodies of the ```python blocks, only the runnable ones (no ``no-run``) by default."""
    found = []
    for info, body in fenced_blocks(text):
        words = info.split()
        if words[:1] == ["python"] and (not runnable or NO_RUN not in words):
            found.append(body)
    return found


def inline_code(text):
    """The inline code spans outside fenced blocks."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.findall(r"`([^`\n]+)`", prose)


def short_clip(folder):
    """A 1 s clip of demo/make_video.py in ``folder``: what the documents' examples read as
    out/clip.mp4, short enough for a test."""
    path = os.path.join(folder, "clip.mp4")
    done = subprocess.run([sys.executable, os.path.join("demo", "make_video.py"), "--seconds", "1",
                           "--output", path], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return path


def run_python(script, folder):
    """Run ``script`` in one interpreter from the repository's root, reading a short clip where
    it reads out/clip.mp4; the interpreter's stderr when it fails, else None."""
    if CLIP in script:
        script = script.replace(CLIP, short_clip(folder))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    return None if done.returncode == 0 else done.stderr[-3000:]


@pytest.mark.parametrize("path", [p for p in DOCS if python_blocks(read(p))], ids=name)
def test_the_python_blocks_of_each_document_run(path, tmp_path):
    """A document's runnable Python blocks, in order, in one interpreter."""
    failed = run_python("\n".join(python_blocks(read(path))), str(tmp_path))
    assert failed is None, f"{name(path)}:\n{failed}"


NOT_RUN = {}
"""Document -> how many of its Python blocks are marked no-run (none need a download or a trained
model today)."""


def test_blocks_not_run_are_the_ones_listed():
    """Every Python block runs unless marked, and a marked block is listed in NOT_RUN."""
    skipped = {name(p): len(python_blocks(read(p), runnable=False)) - len(python_blocks(read(p)))
               for p in DOCUMENTS}
    assert {doc: n for doc, n in skipped.items() if n} == NOT_RUN


def command_lines(text):
    """Every `posecut` command line of the document's shell blocks, continuation lines joined."""
    lines = []
    for info, body in fenced_blocks(text):
        if info.strip() not in ("bash", "sh", "shell"):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
                words = words[1:]
            if words and words[0] in ("posecut", ".venv/bin/posecut"):
                lines.append((line.strip(), words[1:]))
    return lines


def _placeholders(words):
    """Shell variables replaced by a placeholder word."""
    return [re.sub(r"\$\{?\w+\}?", "placeholder", word) for word in words]


def _subparser(command):
    parser = build_parser(command)
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action.choices


@pytest.mark.parametrize("path", DOCUMENTS, ids=name)
def test_every_posecut_command_line_parses(path, capsys):
    text = read(path)
    failures = []
    for line, argv in command_lines(text):
        argv = _placeholders(argv)
        try:
            build_parser(argv[0] if argv else None).parse_args(argv)
        except SystemExit:
            failures.append(f"{line}\n    {capsys.readouterr().err.strip().splitlines()[-1]}")
    for span in inline_code(text):
        words = span.split()
        if not words or words[0] not in ("posecut", ".venv/bin/posecut") or len(words) < 2:
            continue
        parser, commands = _subparser(words[1])
        if words[1] not in commands:
            failures.append(f"`{span}`: no command {words[1]!r}")
            continue
        known = commands[words[1]]._option_string_actions
        failures += [f"`{span}`: {words[1]} has no option {flag}"
                     for flag in words[2:] if flag.startswith("--") and flag not in known]
    assert not failures, f"{name(path)}:\n" + "\n".join(failures)


def _scripts(words):
    """What a shell command line runs: ('file', path) or ('module', name), or None."""
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words = words[1:]
    if len(words) >= 2 and words[0] in (".venv/bin/python", "python", "bash"):
        if words[1] == "-m" and len(words) >= 3:
            return ("module", words[2])
        if not words[1].startswith("-"):
            return ("file", words[1])
    return None


@pytest.mark.parametrize("path", DOCUMENTS, ids=name)
def test_every_script_a_command_runs_exists(path):
    missing = []
    for info, body in fenced_blocks(read(path)):
        if info.strip() not in ("bash", "sh", "shell"):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            ran = _scripts(shlex.split(line, comments=True))
            if ran and ran[0] == "module" and importlib.util.find_spec(ran[1]) is None:
                missing.append(line.strip())
            if ran and ran[0] == "file" and not os.path.isfile(os.path.join(ROOT, ran[1])):
                missing.append(line.strip())
    assert not missing, f"{name(path)}: " + "; ".join(missing)


def heading_anchors(text):
    """The anchors GitHub gives a document's headings."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    anchors = set()
    for heading in re.findall(r"^#+ +(.+?) *$", prose, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("path", DOCUMENTS, ids=name)
def test_every_link_leads_to_a_file_and_heading_that_exist(path):
    text = read(path)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(linked):
            broken.append(target)
        elif anchor and linked.endswith(".md") and anchor not in heading_anchors(read(linked)):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{name(path)}: " + ", ".join(broken)


REPOSITORY_PATH = re.compile(r"(?:lib|nnet|dataset|multiperson|posecut|demo|bench|tests|docs|models)"
                             r"/[\w./*-]*\.(?:py|pyx|hpp|cpp|cc|sh|yaml|mat|npz|png|json|md)|"
                             r"(?:lib|nnet|dataset|multiperson|posecut|demo|bench|tests|docs|models)"
                             r"/(?:[\w-]+/)*")
"""A source file or a folder of the repository, as the documents name them in inline code."""


@pytest.mark.parametrize("path", DOCUMENTS, ids=name)
def test_every_repository_path_named_exists(path):
    missing = [span for span in inline_code(read(path))
               if REPOSITORY_PATH.fullmatch(span) and not glob.glob(os.path.join(ROOT, span))]
    assert not missing, f"{name(path)}: " + ", ".join(missing)


FORMAT_FIELDS = {"name", "joints", "flip_pairs", "skeleton", "sigmas"}
"""The fields of a keypoint-format YAML, which the documents also show as `field: value`."""


@pytest.mark.parametrize("path", DOCUMENTS, ids=name)
def test_every_config_setting_shown_names_a_key(path):
    keys = {key.name for key in CONFIG_KEYS}
    unknown = []
    for span in inline_code(read(path)):
        setting = re.fullmatch(r"([a-z][a-z0-9_]*): \S.*", span)
        if setting and setting.group(1) not in keys | FORMAT_FIELDS:
            unknown.append(span)
    assert not unknown, f"{name(path)}: " + ", ".join(unknown)


def test_every_registered_format_is_listed_with_its_joints():
    text = read(os.path.join(ROOT, "docs", "formats.md"))
    for format_name in registered_formats():
        assert f"| `{format_name}` | {get_format(format_name).num_joints} |" in text, format_name


WORK_LOG = re.compile(r"\bstops? \d+|\bstop's\b|\bearlier stops?\b|\bthis stop\b|\blast stop\b"
                      r"|\bsessions?\b|\bissues? \d+|\bissue #?\d+", re.I)
"""Words about how the work was organised, not about the project."""


@pytest.mark.parametrize("path", DOCUMENTS, ids=name)
def test_no_work_log_words(path):
    found = [(n, m.group(0)) for n, line in enumerate(read(path).splitlines(), 1)
             for m in WORK_LOG.finditer(line)]
    assert not found, f"{name(path)}: {found}"


def test_the_documents_each_have_a_link_from_the_readme():
    readme = read(os.path.join(ROOT, "README.md"))
    for path in DOCS:
        assert f"(docs/{os.path.basename(path)})" in readme, name(path)
