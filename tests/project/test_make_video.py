"""demo/make_video.py: a synthetic clip written as MP4 reads back frame by frame."""
import numpy as np

from demo.make_video import main, synthetic_clip, write_video


def test_clip_moves_the_scene_and_reads_back(tmp_path):
    import imageio.v2 as iio2

    frames = list(synthetic_clip(3, 48, 64, 2, 4, shift=5))
    assert len(frames) == 4 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    np.testing.assert_array_equal(frames[2], np.roll(frames[0], 10, axis=1))
    path = str(tmp_path / "clip.mp4")
    assert write_video(frames, path, 10.0) == 4
    reader = iio2.get_reader(path, format="FFMPEG")
    back = [np.asarray(f) for f in reader]
    reader.close()
    assert len(back) == 4 and back[0].shape == (48, 64, 3)
    assert np.abs(back[3].astype(int) - frames[3]).mean() < 12  # lossy, but the same picture


def test_command_writes_the_requested_length(tmp_path, capsys):
    path = str(tmp_path / "c.mp4")
    assert main(["--seconds", "0.4", "--fps", "5", "--size", "32", "48", "--output", path]) == 0
    assert "2 frames of 48x32" in capsys.readouterr().out
