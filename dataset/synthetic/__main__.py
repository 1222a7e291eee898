"""``python -m dataset.synthetic``: write a synthetic COCO keypoints data set (see cli.main)."""
from dataset.synthetic.cli import main

if __name__ == "__main__":
    main()
