"""docs/config.md, written from the key table: one section per group of keys, each key with its
type, default, origin and meaning. ``python -m posecut.config.doc --write`` regenerates the file;
without ``--write`` it prints the text."""

from __future__ import annotations

import argparse
import os
import sys

from posecut.config.keys import CONFIG_KEYS, SECTIONS
from posecut.config.types import ConfigKey, yaml_text
from posecut.config.validate import DEFAULTS

__all__ = ["DOC_PATH", "REGENERATE", "config_markdown", "main"]

DOC_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "docs", "config.md")
"""Where the reference lives: docs/config.md in the repository."""
REGENERATE = "python -m posecut.config.doc --write"
"""The command that rewrites DOC_PATH from the table."""


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("**", "\\*\\*")


def _meaning(key: ConfigKey) -> str:
    """The description, and for a DeeperCut key posecut does not implement, what loads and why."""
    text = _cell(key.description)
    note = key.unimplemented
    if note is None:
        return text
    if note.any_value:
        return (f"{text}. Any value loads and changes nothing, as in DeeperCut: {_cell(note.meaning)}; "
                f"{_cell(note.advice)}.")
    return (f"{text}. **Accepted only at DeeperCut's default**; any other value is an error. In "
            f"DeeperCut, {_cell(note.meaning)}; {_cell(note.advice)}.")


def config_markdown() -> str:
    """The text of docs/config.md."""
    lines = [
        "# Configuration reference",
        "",
        f"<!-- Written by `{REGENERATE}` from posecut/config/keys.py; "
        "tests/posecut/test_config_doc.py fails when it is out of date. -->",
        "",
        "A configuration is a YAML file in the layout of DeeperCut's `pose_cfg.yaml`. Keys it does "
        "not give take the defaults below; an unknown key is an error that names the nearest known "
        "one, and every problem of a file is reported at once, naming the file and the key. Paths "
        "are relative to the configuration's folder. DeeperCut's keys keep its meaning and default, "
        "so its configurations load unchanged; posecut's own keys default to what DeeperCut did.",
        "",
    ]
    lines += [f"- [{title}](#{title.lower().replace(' ', '-')})" for title, _ in SECTIONS.values()]
    for section, (title, about) in SECTIONS.items():
        lines += ["", f"## {title}", "", about, "",
                  "| Key | Type | Default | From | Meaning |", "| --- | --- | --- | --- | --- |"]
        for key in (k for k in CONFIG_KEYS if k.section == section):
            origin = "posecut" if key.ours else "DeeperCut"
            lines.append(f"| `{key.name}` | {_cell(key.type.name)} | `{yaml_text(DEFAULTS[key.name])}` "
                         f"| {origin} | {_meaning(key)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    """Print docs/config.md's text, or with --write rewrite the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {os.path.relpath(DOC_PATH)}")
    args = parser.parse_args(argv)
    text = config_markdown()
    if not args.write:
        sys.stdout.write(text)
        return 0
    os.makedirs(os.path.dirname(DOC_PATH), exist_ok=True)
    with open(DOC_PATH, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
