"""The `posecut` command: one entry point for what a user does, one module per command.

Each command module has NAME, ``add_parser(sub)`` (its arguments) and ``run(args)`` (a call into
the library). Help, argument errors and wrong paths are answered before anything heavy is
imported: each command checks its files first and imports TensorFlow only then.
"""
import argparse
import difflib
import os
import sys

from lib.errors import PosecutError
from posecut.cli import (convert_checkpoint, convert_dataset, evaluate, evaluate_tracks, export,
                         fit_pairwise, fit_temporal, import_dlc, pairwise_stats, pck, plot, predict,
                         split, track, train)

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = (import_dlc, train, pairwise_stats, pck, fit_pairwise, evaluate, predict, plot, track,
            fit_temporal, evaluate_tracks, split, export, convert_checkpoint, convert_dataset)
"""The command modules, in the order `posecut --help` lists them."""


class _Subcommands:
    """add_subparsers' action, each subcommand getting the common options (--verbose)."""

    def __init__(self, action, common):
        self.action, self.common = action, common
        self.names = []

    def add_parser(self, name, **kwargs):
        self.names += [name, *kwargs.get("aliases", ())]
        return self.action.add_parser(name, parents=[self.common], **kwargs)


def build_parser(command=None):
    """The argument parser; the convert-dataset arguments (which import the readers) are added
    only when ``command`` is convert-dataset, so that everything else starts at once."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="also show TensorFlow's own log lines (and more detail where a "
                             "command has it)")
    parser = argparse.ArgumentParser(
        prog="posecut", parents=[common],
        description="Multi-person pose estimation of the DeeperCut / ArtTrack family: train, "
                    "evaluate, predict and export. Each COMMAND takes --help.")
    sub = _Subcommands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
                       common)
    for module in COMMANDS:
        if module is convert_dataset:
            module.add_parser(sub, full=command == convert_dataset.NAME)
        else:
            module.add_parser(sub)
    parser.command_names = sub.names
    return parser


def _command_of(argv):
    """The subcommand named in ``argv`` (its first word not starting with '-'), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else [os.fspath(a) for a in argv]
    command = _command_of(argv)
    names = build_parser().command_names
    if command is not None and command not in names:
        close = difflib.get_close_matches(command, names, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'? " if close else ""
        print(f"posecut: error: unknown command '{command}'; {hint}(commands: "
              f"{', '.join(names)}; posecut --help says what each does)", file=sys.stderr)
        return 2
    args = build_parser(command).parse_args(argv)
    from posecut.logs import setup_logging

    setup_logging(args.verbose)
    try:
        return args.func(args)
    except PosecutError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
