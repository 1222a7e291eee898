"""The files a run over many inputs writes once, from its parts, exactly as one process writes
them (posecut.predict_files): results.json with image ids numbered across all inputs, images.json
and poses.csv."""
import os

from dataset.coco_eval import people_to_coco_results
from posecut.corpus.atomic import atomic_path, read_pickle, write_json
from posecut.pose_table import PoseTable

__all__ = ["merge_predictions"]


def merge_predictions(out_dir, images, image_slots, videos, video_parts, part_names):
    """(results, records, table paths) written to ``out_dir``: ``images`` are all the image
    inputs in order and ``image_slots`` for each (part file, slot in it), None for one not read;
    ``videos`` (path, stem) of the videos in order and ``video_parts`` the file of each finished
    one (None for one skipped)."""
    results, records, tables, loaded = [], [], [], {}
    if images:
        tables.append(os.path.join(out_dir, "poses.csv"))
        with atomic_path(tables[-1]) as temporary, PoseTable(temporary, part_names) as table:
            for index, (path, slot) in enumerate(zip(images, image_slots)):
                if slot is None:
                    continue
                if slot[0] not in loaded:
                    loaded = {slot[0]: read_pickle(slot[0])}
                part, k = loaded[slot[0]], slot[1]
                image_id = 1 + index
                height, width = part["sizes"][k]
                table.add(os.path.abspath(path), None, part["poses"][k])
                records.append({"id": image_id, "file_name": os.path.abspath(path),
                                "height": int(height), "width": int(width)})
                results += people_to_coco_results(image_id, part["poses"][k], part["scores"][k])
    for (path, stem), part_file in zip(videos, video_parts):
        if part_file is None:
            continue
        part = read_pickle(part_file)
        first_id = len(records) + 1
        for index, (poses, scores, size) in enumerate(zip(part["poses"], part["scores"], part["sizes"])):
            records.append({"id": first_id + index, "file_name": f"{os.path.abspath(path)}#{index}",
                            "frame": index, "height": int(size[0]), "width": int(size[1])})
            results.extend(people_to_coco_results(first_id + index, poses, scores))
        tables.append(os.path.join(out_dir, f"{stem}_poses.csv"))
    write_json(os.path.join(out_dir, "results.json"), results)
    write_json(os.path.join(out_dir, "images.json"), records)
    return results, records, tables
