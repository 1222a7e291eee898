"""Largest absolute difference per output between our PoseNet and DeeperCut's TF1 network.

Builds the original tf_slim network with random weights (tests/slim_reference.py), saves a
TF1 checkpoint, loads it into ours and compares on one image, for each form of our network.
Run: .venv/bin/python bench/fidelity_table.py [--nets resnet_50 resnet_101]
"""
import argparse
import os
import pathlib
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from test_fidelity import TOLERANCE, reference_differences  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nets", nargs="+", default=["resnet_50", "resnet_101"])
    parser.add_argument("--joints", type=int, default=4)
    args = parser.parse_args()
    forms = [("float32", False), ("float32", True), ("bfloat16", True)]
    print("| backbone | form | " + " | ".join(TOLERANCE) + " |")
    print("|---|---|" + "---|" * len(TOLERANCE))
    print("| tolerance | | " + " | ".join(f"{t:g}" for t in TOLERANCE.values()) + " |")
    for net in args.nets:
        for precision, fold in forms:
            with tempfile.TemporaryDirectory() as tmp:
                diffs, _ = reference_differences(pathlib.Path(tmp), net, args.joints, precision,
                                                 fold)
            form = f"{precision}, {'folded BN' if fold else 'BN layers'}"
            print(f"| {net} | {form} | " + " | ".join(f"{diffs[k]:.2e}" for k in TOLERANCE)
                  + " |", flush=True)


if __name__ == "__main__":
    main()
