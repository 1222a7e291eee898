"""A DeepLabCut project's config.yaml and labeled-data folders: parts, flip pairs, skeleton,
individuals, pcutoff, the training fraction and which tables are read."""
import numpy as np
import pandas as pd
import pytest
import yaml

from dataset.dlc_project import (DLC_DEFAULT_PCUTOFF, looks_like_dlc_config, project_format,
                                 read_dlc_config, read_project_tables, side_pairs)
from lib.errors import ConfigError, DatasetError

SINGLE = """\
# Project definitions (do not edit)
Task: openfield
scorer: Pranav
date: Oct30
multianimalproject:
identity:

# Project path (change when moving around)
project_path: /somewhere/else/openfield-Pranav-2018-10-30

video_sets:
  /somewhere/else/videos/m4s1.mp4:
    crop: 0, 640, 0, 480
bodyparts:
- snout
- leftear
- rightear
- tailbase

start: 0
stop: 1
numframes2pick: 20

skeleton:
- - snout
  - leftear
- - snout
  - rightear
- - leftear
  - snout
skeleton_color: black
pcutoff: 0.4
dotsize: 8
alphavalue: 0.7
colormap: jet

TrainingFraction:
- 0.8
- 0.95
iteration: 0
default_net_type: resnet_50
snapshotindex: -1
batch_size: 4
"""

MULTI = """\
Task: mice
scorer: ana
date: Jan1
multianimalproject: true
identity: false
project_path: /elsewhere
video_sets: {}
individuals:
- mus1
- mus2
uniquebodyparts:
- tray
multianimalbodyparts:
- nose
- ear_l
- ear_r
- tail
bodyparts: MULTI!
skeleton:
- [nose, tail]
- [nose, tray]
pcutoff: 0.6
TrainingFraction: [0.9]
"""


def _write(tmp_path, text, name="config.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_single_animal_config_reads_as_deeplabcut_means_it(tmp_path):
    project = read_dlc_config(_write(tmp_path, SINGLE))
    assert project.folder == str(tmp_path)  # the config's folder, not project_path
    assert (project.task, project.scorer, project.multi_animal) == ("openfield", "Pranav", False)
    assert project.bodyparts == ("snout", "leftear", "rightear", "tailbase")
    assert project.skeleton == (("snout", "leftear"), ("snout", "rightear"))  # the repeat once
    assert (project.pcutoff, project.training_fraction) == (0.4, 0.8)  # the first fraction
    fmt = project_format(project)
    assert fmt.name == "openfield" and fmt.joints == project.bodyparts
    assert fmt.flip_pairs == ((1, 2),) and fmt.skeleton == ((0, 1), (0, 2))
    assert list(fmt.flip_index) == [0, 2, 1, 3] and fmt.sigmas == (0.1,) * 4
    assert looks_like_dlc_config(yaml.safe_load(SINGLE))
    assert not looks_like_dlc_config({"dataset": "x", "net_type": "resnet_50", "batch_size": 4})


def test_a_multi_animal_config_gives_the_animals_parts_and_leaves_the_unique_ones_out(tmp_path):
    project = read_dlc_config(_write(tmp_path, MULTI))
    assert project.multi_animal and project.individuals == ("mus1", "mus2")
    assert project.bodyparts == ("nose", "ear_l", "ear_r", "tail")
    assert project.unique_bodyparts == ("tray",)
    assert project.skeleton == (("nose", "tail"),)  # the edge to the tray belongs to no animal
    fmt = project_format(project)
    assert fmt.flip_pairs == ((1, 2),) and fmt.skeleton == ((0, 3),)
    assert project.training_fraction == 0.9


@pytest.mark.parametrize("names, pairs, unpaired", [
    (["snout", "leftear", "rightear", "tailbase"], [(1, 2)], []),
    (["nose", "left_ear", "right_ear", "LeftPaw", "RightPaw"], [(1, 2), (3, 4)], []),
    (["ear_l", "ear_r", "l_hand", "r_hand", "earl"], [(0, 1), (2, 3)], []),
    (["Left Wing", "right wing", "left_eye", "thorax"], [(0, 1)], ["left_eye"]),
    (["head", "spine1", "spine2"], [], []),
])
def test_flip_pairs_come_from_names_that_differ_only_by_the_side(names, pairs, unpaired):
    assert side_pairs(names) == (tuple(pairs), tuple(unpaired))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(bodyparts=[]), "bodyparts: expected a non-empty list of names"),
    (lambda d: d.update(bodyparts=["a", "b", "a"]), "bodyparts: expected unique names, repeated: a"),
    (lambda d: d.update(scorer=None), "scorer: expected the labeller's name"),
    (lambda d: d.update(pcutoff=1.5), r"pcutoff: expected a number in \[0, 1\], got 1.5"),
    (lambda d: d.update(TrainingFraction=[0]), r"TrainingFraction: expected a number in \(0, 1\]"),
    (lambda d: d.update(skeleton=[["snout", "tail"]]), "skeleton, entry 0: tail is not a body part"),
    (lambda d: d.update(skeleton=[["snout"]]), "skeleton, entry 0: expected a pair of body part names"),
])
def test_a_bad_field_is_an_error_naming_the_file_and_the_field(tmp_path, edit, message):
    data = yaml.safe_load(SINGLE)
    edit(data)
    path = _write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=f"{path}: {message}"):
        read_dlc_config(path)


def test_missing_fields_take_deeplabcuts_defaults_and_a_multi_animal_config_needs_individuals(tmp_path):
    data = yaml.safe_load(SINGLE)
    del data["pcutoff"], data["TrainingFraction"], data["skeleton"]
    project = read_dlc_config(_write(tmp_path, yaml.safe_dump(data)))
    assert (project.pcutoff, project.training_fraction, project.skeleton) == (DLC_DEFAULT_PCUTOFF, 0.95, ())
    data = yaml.safe_load(MULTI)
    del data["individuals"]
    path = _write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=f"{path}: individuals: expected a non-empty list"):
        read_dlc_config(path)
    with pytest.raises(ConfigError, match="not a readable YAML file"):
        read_dlc_config(_write(tmp_path, "a: [1,\n", "broken.yaml"))


def _table(path, parts, value):
    columns = pd.MultiIndex.from_tuples([("s", p, c) for p in parts for c in "xy"],
                                        names=["scorer", "bodyparts", "coords"])
    frame = pd.DataFrame(np.full((1, 2 * len(parts)), value), columns=columns,
                         index=[f"labeled-data/{path.parent.name}/img0.png"])
    frame.to_hdf(path, key="df_with_missing") if path.suffix == ".h5" else frame.to_csv(path)


def test_each_video_folder_gives_its_scorers_h5_else_its_csv(tmp_path):
    """As DeepLabCut: the H5 is the table (the CSV beside it a copy), other scorers' tables are
    not read, and both are said; folders without a table are named."""
    project = read_dlc_config(_write(tmp_path, SINGLE))
    parts = project.bodyparts
    for video in ("a", "b", "c", "a_labeled"):
        (tmp_path / "labeled-data" / video).mkdir(parents=True)
    _table(tmp_path / "labeled-data" / "a" / "CollectedData_Pranav.h5", parts, 5.0)
    _table(tmp_path / "labeled-data" / "a" / "CollectedData_Pranav.csv", parts, 7.0)
    _table(tmp_path / "labeled-data" / "b" / "CollectedData_Pranav.csv", parts, 6.0)
    _table(tmp_path / "labeled-data" / "c" / "CollectedData_other.h5", parts, 1.0)
    tables = read_project_tables(project, project_format(project))
    assert [s.path for s in tables.sources] == [
        str(tmp_path / "labeled-data" / "a" / "CollectedData_Pranav.h5"),
        str(tmp_path / "labeled-data" / "b" / "CollectedData_Pranav.csv")]
    assert [s.images[0].people[0].joints[0, 0] for s in tables.sources] == [5.0, 6.0]
    other, unlabelled = tables.notes
    assert "CollectedData_other.h5: labelled by another scorer than the config's 'Pranav'" in other
    assert unlabelled.endswith("no CollectedData_Pranav.h5 (or .csv) in c: not labelled, not read")


def test_a_project_without_labelled_frames_is_an_error_saying_where_they_belong(tmp_path):
    project = read_dlc_config(_write(tmp_path, SINGLE))
    fmt = project_format(project)
    with pytest.raises(DatasetError, match=r"labeled-data: no such folder; .* labeled-data/<video>/"
                                           r"CollectedData_Pranav\.h5"):
        read_project_tables(project, fmt)
    (tmp_path / "labeled-data" / "v").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no video folder holds CollectedData_Pranav.h5"):
        read_project_tables(project, fmt)
