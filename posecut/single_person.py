"""Single-person evaluation over labelled images: each image's argmax pose against its first
labelled person or animal, scored in pixels or as PCK, and the tables the commands print."""
import logging

import numpy as np
from tqdm import tqdm

from dataset.images import read_image
from dataset.metrics import pixel_errors
from lib.errors import DatasetError, PosecutError
from nnet.outputs import predict_single_person

__all__ = ["format_pck", "format_pixel_errors", "pixel_error_report", "single_person_poses"]

log = logging.getLogger(__name__)


def single_person_poses(network, records, scale: float, progress: bool = True, source: str = "",
                        desc: str = "evaluate"):
    """(predicted (N, J, 3), truth (N, J, 3), the N records read, skipped): the argmax pose of
    each record's image by ``network`` at ``scale``, and the first person labelled there; an image
    that cannot be read is logged and skipped (its reason in ``skipped``). PosecutError naming
    ``source`` when none can be read."""
    predicted, truth, read, skipped = [], [], [], []
    for record in tqdm(records, desc=desc, unit="image", disable=not progress):
        try:
            image = read_image(record.image_path)
        except DatasetError as err:
            why = str(err) if record.image_path in str(err) else f"{record.image_path}: {err}"
            log.warning("skipped image: %s", why)
            skipped.append(why)
            continue
        predicted.append(predict_single_person(network, image, scale))
        truth.append(record.joints[0])
        read.append(record)
    if not read:
        raise PosecutError(f"{source}: none of its {len(records)} images could be read"
                           + (f"; the first: {skipped[0]}" if skipped else ""))
    return np.stack(predicted), np.stack(truth), read, skipped


def pixel_error_report(predicted, truth, pcutoff: float, within) -> dict:
    """{'all': errors, 'p>={pcutoff}': errors of the parts scoring at least ``pcutoff``}, each as
    dataset.metrics.pixel_errors gives them (with the share within each of ``within`` pixels)."""
    return {"all": pixel_errors(predicted, truth, within=within),
            f"p>={pcutoff:g}": pixel_errors(predicted, truth, min_score=pcutoff, within=within)}


def format_pixel_errors(report: dict, names, within, pcutoff: float) -> str:
    """The table of a pixel_error_report: joints counted, mean and RMSE error and the share
    within each distance, for all parts and above the cut-off; then the mean error per part."""
    heads = "  ".join(f"% <={n:g}px" for n in within)
    lines = [f"  {'':<16} {'joints':>6} {'mean':>7} {'rmse':>7}  {heads}"]
    for label, errors in (("all", report["all"]), (f"p >= {pcutoff:g}", report[f"p>={pcutoff:g}"])):
        shares = "  ".join(f"{100 * errors['within'][float(n)]:>{len(f'% <={n:g}px')}.1f}"
                           for n in within)
        lines.append(f"  {label:<16} {errors['count']:>6} {errors['mean']:>7.2f} "
                     f"{errors['rmse']:>7.2f}  {shares}")
    lines += [f"  {name:<16} mean {value:7.2f} px" for name, value in
              zip(names, report["all"]["per_joint"])]
    return "\n".join(lines)


def format_pck(per_joint, names) -> str:
    """A PCK table body: one line per part, in percent."""
    return "\n".join(f"  {name:<16} {100 * value:5.1f} %" for name, value in zip(names, per_joint))
