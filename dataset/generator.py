"""The dataset generator command: bring your own annotations to COCO keypoint JSON or DeeperCut's dataset.mat.

    posecut convert-dataset INPUT --from LAYOUT --output PATH [--to coco17|FORMAT|deepercut-mat]
        [--format NAME|YAML] [--mapping YAML] [--images DIR] [--mat-format NAME]
        [--keep-missing-images] [--box-margin F] [--allow-absolute-paths]

Reads INPUT in the source layout, maps its joints onto the target format with a mapping from
dataset/mappings/ (or --mapping), and writes COCO keypoint JSON (default, in coco17) that the
train command loads, or a DeeperCut dataset.mat. Bad records are reported and skipped; a summary
table says what was written and what was left out. An image name that climbs out of the image
folders (``..``) is never read, nor an absolute one outside them unless --allow-absolute-paths.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Optional

from dataset.coco_writer import write_coco_json
from dataset.conversion import DEFAULT_MARGIN, Conversion, convert, image_records
from dataset.deepercut_mat import write_deepercut_mat
from dataset.joint_mappings import get_mapping, load_mapping
from dataset.keypoint_formats import DEFAULT_FORMAT, KeypointFormat
from dataset.loaders import keypoint_format, read_source, source_layouts
from lib.errors import PosecutError

__all__ = ["DEEPERCUT_MAT", "add_arguments", "generate", "main", "run", "summary"]

DEEPERCUT_MAT = "deepercut-mat"
DEFAULT_TARGET = DEFAULT_FORMAT
PROG = "posecut convert-dataset"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the command's arguments to ``parser`` (also used to wire it into the posecut CLI)."""
    sources = source_layouts()
    layouts = "; ".join(f"{name}: {layout.description}" for name, layout in sources.items())
    parser.add_argument("input", help="the annotation file to convert")
    parser.add_argument("--from", dest="source", required=True, choices=list(sources), metavar="LAYOUT",
                        help=f"layout of the input ({layouts})")
    parser.add_argument("--to", dest="target", default=None, metavar="TARGET",
                        help=f"target: a registered keypoint format or a format YAML (default {DEFAULT_TARGET}; "
                             f"for deeplabcut the declared --format), or {DEEPERCUT_MAT}")
    parser.add_argument("--output", required=True, metavar="PATH", help="where to write the COCO JSON or dataset.mat")
    parser.add_argument("--format", dest="keypoint_format", default=None, metavar="NAME|YAML",
                        help="keypoint format of the input's joints, a registered name or a YAML file "
                             "(required for deeplabcut; aic, mpii, cocowholebody and ochuman-native fix it)")
    parser.add_argument("--mapping", default=None, metavar="YAML",
                        help="joint mapping YAML to use instead of dataset/mappings/<source>_to_<target>.yaml")
    parser.add_argument("--images", default=None, metavar="DIR",
                        help="folder of the images (default: beside the input and in its images/ folder)")
    parser.add_argument("--mat-format", default=None, metavar="NAME",
                        help=f"with --to {DEEPERCUT_MAT}: keypoint format of the joints written "
                             f"(default {DEFAULT_TARGET}; for deeplabcut the declared --format)")
    parser.add_argument("--keep-missing-images", action="store_true",
                        help="keep records whose image file is missing when the annotations give its size")
    parser.add_argument("--allow-absolute-paths", action="store_true",
                        help="read images named by absolute paths outside the image folders (by default "
                             "such records are skipped: an annotation file may not point at any file)")
    parser.add_argument("--box-margin", type=float, default=DEFAULT_MARGIN, metavar="F",
                        help="margin added on each side of boxes made from joints, as a fraction of "
                             "their extent (default %(default)s)")
    return parser


def _target_format(args, source_format: KeypointFormat) -> KeypointFormat:
    """The keypoint format of the output."""
    if args.mat_format is not None and args.target != DEEPERCUT_MAT:
        raise PosecutError(f"--mat-format: only used with --to {DEEPERCUT_MAT}; use --to for the JSON's format")
    name = args.mat_format if args.target == DEEPERCUT_MAT else args.target
    if name is None:
        return source_format if args.source == "deeplabcut" else keypoint_format(DEFAULT_TARGET)
    return keypoint_format(name)


def generate(args) -> tuple[Conversion, str]:
    """Read, convert and write as ``args`` say; (conversion, what was written) for the summary."""
    if not args.box_margin >= 0:
        raise PosecutError(f"--box-margin: expected a fraction >= 0, got {args.box_margin}")
    source = read_source(args.source, args.input, args.keypoint_format, args.images,
                         allow_absolute_paths=args.allow_absolute_paths)
    target = _target_format(args, source.format)
    if args.mapping:
        mapping = load_mapping(args.mapping, source=source.format, target=target)
    else:
        mapping = get_mapping(source.format, target)
    conversion = convert(source, mapping, keep_missing_images=args.keep_missing_images,
                         margin=args.box_margin)
    if args.target == DEEPERCUT_MAT:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        records = image_records(conversion)
        absolute = write_deepercut_mat(records, args.output)
        kept = sum(r.num_people for r in records)
        conversion.notes.append(f"dataset.mat holds only people with labelled joints ({kept}) and no "
                                "visibility: hidden joints are written as labelled")
        _note_absolute(conversion, absolute, args.output)
        return conversion, f"DeeperCut dataset.mat, joints in {target.name}"
    _note_absolute(conversion, write_coco_json(conversion, args.output), args.output)
    return conversion, f"COCO keypoint JSON, {target.name}"


def _note_absolute(conversion: Conversion, absolute: int, output: str) -> None:
    """Tell the user when images were written with absolute paths, which the loaders refuse
    unless the config allows them."""
    if absolute:
        folder = os.path.dirname(os.path.abspath(output))
        conversion.notes.append(
            f"{absolute} of {len(conversion.images)} images lie outside {folder} and are written with "
            f"absolute paths: training or evaluating on {os.path.basename(output)} needs "
            "allow_absolute_image_paths: true in the config (or write the output in a folder above "
            "the images, which gives relative names)")


def summary(conversion: Conversion, output: str, written: str) -> str:
    """The table main prints: images, people, labelled count per target joint, skipped records."""
    source, mapping = conversion.source, conversion.mapping
    people = [p for p in conversion.people if not p.iscrowd]
    labelled = sum(1 for p in people if p.num_keypoints)
    crowds = len(conversion.people) - len(people)
    dropped = mapping.dropped
    if len(dropped) > 8:
        dropped = (*dropped[:3], "...", *dropped[-2:])
    dropped = f" ({len(mapping.dropped)} not carried over: {', '.join(dropped)})" if dropped else ""
    lines = [
        f"convert-dataset: {source.layout} ({source.format.name}) -> {mapping.target.name}",
        f"  input    {source.path}",
        f"  mapping  {mapping.origin}{dropped}",
        f"  output   {os.path.abspath(output)} ({written})",
        f"  images   {len(conversion.images)} written",
        f"  people   {len(people)} written: {labelled} with labelled joints, {len(people) - labelled} "
        f"with a box only; {crowds} crowd regions",
        "",
    ]
    width = max(len("joint"), *(len(j) for j in mapping.target.joints))
    lines.append(f"  {'joint':<{width}}  visible  hidden  labelled")
    counts = conversion.joint_counts()
    for name, (visible, hidden) in zip(mapping.target.joints, counts):
        lines.append(f"  {name:<{width}}  {visible:>7}  {hidden:>6}  {visible + hidden:>8}")
    visible, hidden = counts.sum(axis=0) if len(counts) else (0, 0)
    lines.append(f"  {'total':<{width}}  {visible:>7}  {hidden:>6}  {visible + hidden:>8}")
    lines.append("")
    if conversion.skipped:
        lines.append(f"  skipped records: {len(conversion.skipped)}")
        lines += [f"    {s.file}: {s.record}: {s.reason}" for s in conversion.skipped]
    else:
        lines.append("  skipped records: none")
    lines += [f"  note: {note}" for note in conversion.notes]
    return "\n".join(lines)


def run(args) -> int:
    """Run the command for parsed ``args``; print the summary and exit 0, or 1 when records were
    skipped (the rest written), or print the error and exit 2."""
    try:
        conversion, written = generate(args)
    except PosecutError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary(conversion, args.output, written))
    if conversion.skipped:
        print(f"skipped {len(conversion.skipped)} records (listed above); the rest are written to "
              f"{args.output}", file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[list] = None, prog: str = PROG) -> int:
    """Parse ``argv`` (default: sys.argv[1:]) and run the command."""
    parser = add_arguments(argparse.ArgumentParser(
        prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter))
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
