"""posecut.frames: frames of videos and folders, and one pass over them with drawings behind."""
import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pytest

from lib.errors import DatasetError
from posecut.frames import FramePass, run_frames


def _folder(path, count=5):
    path.mkdir()
    for k in range(count):
        frame = np.full((16, 24, 3), 40 * k, np.uint8)
        iio.imwrite(path / f"{k:03d}.png", frame)
    return str(path)


def _held_back(frames, by=2):
    """A step that, like a tracker, hands each frame back only ``by`` frames later."""
    waiting = []
    for name, frame in frames:
        waiting.append((name, frame, int(frame[0, 0, 0])))
        if len(waiting) > by:
            yield waiting.pop(0)
    yield from waiting


@pytest.mark.parametrize("overlap", [True, False])
def test_every_frame_comes_out_in_order_and_is_drawn(tmp_path, overlap):
    folder = _folder(tmp_path / "frames")
    done = FramePass()
    out = tmp_path / "drawn.mp4"
    rendered = []

    def render(frame, value):
        rendered.append(value)
        return lambda: np.full_like(frame, 255 - value)

    seen = list(run_frames(folder, _held_back, render, str(out), progress=False, overlap=overlap,
                           done=done))
    assert [(index, name, value) for index, name, _, value in seen] == [
        (k, f"{k:03d}.png", 40 * k) for k in range(5)]
    assert rendered == [40 * k for k in range(5)] and done.frames == 5 and done.seconds > 0
    drawn = [np.asarray(f) for f in iio2.get_reader(str(out))]
    assert len(drawn) == 5
    assert [int(np.median(f)) for f in drawn] == pytest.approx([255 - 40 * k for k in range(5)], abs=3)


def test_a_video_is_read_with_its_frame_names_and_a_bad_one_is_named(tmp_path):
    video = tmp_path / "clip.mp4"
    with iio2.get_writer(video, format="FFMPEG", fps=5, macro_block_size=1) as writer:
        for k in range(4):
            writer.append_data(np.full((16, 24, 3), 60 * k, np.uint8))
    names = [name for _, name, _, _ in run_frames(
        str(video), lambda frames: ((n, f, None) for n, f in frames), progress=True)]
    assert names == [f"clip.mp4#{k}" for k in range(4)]
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(DatasetError, match="bad.mp4: cannot read video"):
        list(run_frames(str(tmp_path / "bad.mp4"), lambda frames: frames, progress=False))
