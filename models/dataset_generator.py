"""DeeperCut users look here for the dataset generator: converts annotations to COCO-17 JSON or dataset.mat.

    .venv/bin/python models/dataset_generator.py INPUT --from LAYOUT --output PATH [--to TARGET] ...
Same as `posecut convert-dataset`; run with --help for every option.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from dataset.generator import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(prog="dataset_generator.py"))
