"""posecut.cli: one small module per command, each a parser and a call into the library."""
import inspect
import os

from posecut import cli
from posecut.bundled import BUNDLED_CONFIG, BUNDLED_WEIGHTS, model_paths
from posecut.cli.track import TRACKER_CHOICES
from posecut.tracking_run import TRACKERS


def test_each_command_is_a_short_module_with_a_parser_and_a_run():
    names = cli.build_parser().command_names
    for module in cli.COMMANDS:
        lines = inspect.getsource(module).count("\n")
        assert lines <= 150, (module.__name__, lines)
        assert module.NAME in names and callable(module.add_parser), module.__name__
    assert len(names) == len(cli.COMMANDS) + 1  # evaluate is test-multiperson's alias
    runs = {module.NAME: module.run for module in cli.COMMANDS if hasattr(module, "run")}
    for name, run in runs.items():
        parser = cli.build_parser(name)
        args = parser.parse_args([name] + {"evaluate-tracks": ["a", "b"], "split": ["a", "--output", "b"],
                                           "predict": ["x"], "track": ["x"],
                                           "convert-checkpoint": ["--weights", "w", "--output", "o"],
                                           "export": ["--output", "o"], "pck": ["--dataset", "d"],
                                           "fit-temporal": ["--clips", "c"],
                                           "test-multiperson": ["--dataset", "d"],
                                           "import-dlc": ["a", "b"], "plot": ["a.h5"]}.get(name, []))
        assert args.func is run, name


def test_the_tracker_choices_are_the_trackers():
    assert TRACKER_CHOICES == TRACKERS


def test_the_bundled_model_is_the_fallback_of_predict_and_track(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert model_paths() == (BUNDLED_CONFIG, BUNDLED_WEIGHTS)
    assert model_paths(None, "mine") == (BUNDLED_CONFIG, "mine")
    (tmp_path / "pose_cfg.yaml").write_text("num_joints: 3\n")
    assert model_paths() == ("pose_cfg.yaml", None)
    assert model_paths(tmp_path / "other.yaml") == (os.fspath(tmp_path / "other.yaml"), None)
