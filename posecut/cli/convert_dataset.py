"""`posecut convert-dataset`: annotations of other layouts converted to COCO JSON or dataset.mat
(the dataset generator's command line)."""
NAME = "convert-dataset"


def add_parser(sub, full: bool = True):
    """The parser; its arguments (which import the readers) only when ``full``, so that the other
    commands start at once."""
    parser = sub.add_parser(NAME, help="convert annotations (AIC, CrowdPose, OCHuman, MPII, Halpe, "
                                       "WholeBody, DeepLabCut, COCO) to COCO JSON or dataset.mat")
    if full:
        from dataset.generator import add_arguments, run

        add_arguments(parser)
        parser.set_defaults(func=run)
