"""Augmentation: mirroring, scaling, cropping and size limits move joints with the pixels; batch padding."""
import logging

import numpy as np
import pytest

from dataset.augment import AugmentSettings, augment, augment_settings_from_config, draw_scale, mirror, pad_batch
from dataset.keypoint_formats import get_format
from dataset.targets import compute_targets
from posecut.config import config_from_dict
import builders

COCO = get_format("coco17")
FLIP = tuple(COCO.flip_index)
FIXED = AugmentSettings(scale_jitter_lo=1.0, scale_jitter_up=1.0, flip_index=FLIP)


def coco_people(rng, people, height, width):
    """Random (P, 17, 3) COCO joints inside the image, about a third unlabelled (0, 0, 0)."""
    xy = rng.uniform(0, [width - 1, height - 1], (people, 17, 2))
    v = rng.integers(0, 3, (people, 17, 1)).astype(float)
    return np.where(v > 0, np.concatenate([xy, v], axis=2), 0.0)


def test_mirror_twice_is_identity():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (11, 14, 3), dtype=np.uint8)
    joints = coco_people(rng, 3, 11, 14)
    mask = rng.random((11, 14)) > 0.5
    out = mirror(*mirror(image, joints, mask, FLIP), FLIP)
    np.testing.assert_array_equal(out[0], image)
    np.testing.assert_allclose(out[1], joints, rtol=0, atol=1e-12)  # W - 1 - x twice, up to round-off
    np.testing.assert_array_equal(out[2], mask)


def test_mirror_swaps_left_and_right_and_maps_x():
    left_eye, right_eye, left_wrist, right_wrist = (COCO.index(n) for n in (
        "left_eye", "right_eye", "left_wrist", "right_wrist"))
    joints = np.zeros((1, 17, 3))
    joints[0, left_eye] = (3, 4, 2)
    joints[0, right_wrist] = (10.25, 7, 1)
    joints[0, 0] = (5, 1, 2)  # the nose is its own mirror
    image = np.zeros((9, 20, 3), dtype=np.uint8)
    _, out, _ = mirror(image, joints, None, FLIP)
    np.testing.assert_allclose(out[0, right_eye], (16, 4, 2))  # 20 - 1 - 3
    np.testing.assert_allclose(out[0, left_wrist], (8.75, 7, 1))
    np.testing.assert_allclose(out[0, 0], (14, 1, 2))
    assert out[0, left_eye, 2] == 0 and out[0, right_wrist, 2] == 0


def test_pixel_under_a_joint_stays_under_it_when_mirrored():
    image = np.zeros((9, 20, 3), dtype=np.uint8)
    image[4, 3] = (255, 128, 7)  # row 4, column 3: the pixel centred at (3, 4)
    joints = np.zeros((1, 17, 3))
    joints[0, 0] = (3, 4, 2)
    mask = np.zeros((9, 20), dtype=bool)
    mask[4, 3] = True
    flipped, out, flipped_mask = mirror(image, joints, mask, FLIP)
    x, y = out[0, 0, :2].astype(int)
    np.testing.assert_array_equal(flipped[y, x], (255, 128, 7))
    assert flipped_mask[y, x] and flipped_mask.sum() == 1


@pytest.mark.parametrize("scale", [0.5, 0.73, 1.37, 2.0])
def test_scaling_moves_a_marked_pixel_with_its_joint(scale):
    image = np.zeros((40, 50), dtype=np.float32)
    image[17, 23] = 255
    joints = np.zeros((1, 17, 3))
    joints[0, 5] = (23, 17, 2)
    settings = AugmentSettings(global_scale=scale, scale_jitter_lo=1.0, scale_jitter_up=1.0)
    resized, out, _ = augment(np.random.default_rng(0), image, joints, settings=settings)
    assert resized.shape == (round(40 * scale), round(50 * scale))
    rows, cols = np.indices(resized.shape)
    centroid = np.array([(cols * resized).sum(), (rows * resized).sum()]) / resized.sum()
    assert np.abs(centroid - out[0, 5, :2]).max() < 1.0
    peak = np.unravel_index(resized.argmax(), resized.shape)
    assert np.abs(np.array(peak[::-1]) - out[0, 5, :2]).max() <= 1.0
    assert (out[0, :5] == 0).all() and (out[0, 6:] == 0).all(), "unlabelled joints stay (0, 0, 0)"


def test_scale_follows_the_exact_size_ratio_and_resizes_the_mask():
    image = np.zeros((30, 41, 3), dtype=np.uint8)
    mask = np.zeros((30, 41), dtype=bool)
    mask[10:20, 5:15] = True
    joints = np.zeros((1, 17, 3))
    joints[0, 0] = (40, 29, 2)
    settings = AugmentSettings(global_scale=1.5, scale_jitter_lo=1.0, scale_jitter_up=1.0)
    resized, out, resized_mask = augment(np.random.default_rng(0), image, joints, mask, settings=settings)
    assert resized.shape == (45, 62, 3) and resized_mask.shape == (45, 62)
    # 41 columns become round(61.5) = 62: x scales by 62 / 41, not 1.5; y by 45 / 30 = 1.5.
    np.testing.assert_allclose(out[0, 0, :2], (40.5 * 62 / 41 - 0.5, 29.5 * 1.5 - 0.5))
    assert resized_mask[15:30, 8:23].all() and resized_mask.sum() == 15 * 15


def test_random_mirror_happens_about_half_the_time():
    image = np.arange(6 * 7 * 3, dtype=np.uint8).reshape(6, 7, 3)
    joints = np.zeros((1, 17, 3))
    joints[0, 1] = (2, 3, 2)
    settings = AugmentSettings(scale_jitter_lo=1.0, scale_jitter_up=1.0, mirror=True, flip_index=FLIP)
    flips = 0
    for seed in range(40):
        out_image, out_joints, _ = augment(np.random.default_rng(seed), image, joints, settings=settings)
        if np.array_equal(out_image, image[:, ::-1]):
            flips += 1
            np.testing.assert_allclose(out_joints[0, 2], (4, 3, 2))
        else:
            np.testing.assert_array_equal(out_image, image)
            np.testing.assert_array_equal(out_joints, joints)
    assert 8 <= flips <= 32


def test_same_seed_same_sample():
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    joints = coco_people(rng, 2, 60, 80)
    settings = AugmentSettings(mirror=True, crop=True, crop_pad=4, flip_index=FLIP)
    a = augment(np.random.default_rng(9), image, joints, settings=settings)
    b = augment(np.random.default_rng(9), image, joints, settings=settings)
    for x, y in zip(a[:2], b[:2]):
        np.testing.assert_array_equal(x, y)


def test_crop_keeps_a_whole_person_with_padding():
    image = np.zeros((200, 300, 3), dtype=np.uint8)
    joints = np.zeros((2, 17, 3))
    joints[0, :3] = [(50, 60, 2), (80, 90, 1), (70, 75, 2)]
    joints[1, 5:7] = [(250, 20, 2), (290, 195, 2)]
    settings = AugmentSettings(scale_jitter_lo=1.0, scale_jitter_up=1.0, crop=True, crop_pad=5)
    shapes = set()
    for seed in range(12):
        cropped, out, _ = augment(np.random.default_rng(seed), image, joints, settings=settings)
        shapes.add(cropped.shape)
        if cropped.shape == (41, 41, 3):  # person 0: x 45..85, y 55..95
            np.testing.assert_allclose(out[0, :3, :2], [(5, 5), (35, 35), (25, 20)])
            np.testing.assert_allclose(out[1, 5], (205, -35, 2))  # outside, still labelled
        else:  # person 1: x 245..295, y 15..199 (clipped at the image's edge)
            assert cropped.shape == (185, 51, 3)
            np.testing.assert_allclose(out[1, 5:7, :2], [(5, 5), (45, 180)])
    assert shapes == {(41, 41, 3), (185, 51, 3)}


def test_too_large_images_are_skipped(caplog):
    image = np.zeros((100, 120, 3), dtype=np.uint8)
    joints = np.zeros((0, 17, 3))
    settings = AugmentSettings(max_input_size=100)
    with caplog.at_level(logging.INFO, logger="dataset.augment"):
        assert augment(np.random.default_rng(0), image, joints, settings=settings, scale=1.0) is None
    assert len(caplog.records) == 1 and "max_input_size" in caplog.records[0].getMessage()
    out = augment(np.random.default_rng(0), image, joints, settings=settings, scale=0.9)
    assert out[0].shape == (90, 108, 3)


def test_draw_scale_and_settings_from_config():
    settings = AugmentSettings(global_scale=0.8, scale_jitter_lo=0.5, scale_jitter_up=1.5)
    draws = [draw_scale(np.random.default_rng(s), settings) for s in range(50)]
    assert 0.4 <= min(draws) and max(draws) <= 1.2 and len(set(draws)) == 50
    groups, names = COCO.all_joints()
    cfg = config_from_dict({"all_joints": groups, "all_joints_names": names, "mirror": True,
                            "crop": True, "crop_pad": 7, "global_scale": 0.8, "max_input_size": 900})
    s = augment_settings_from_config(cfg)
    assert s.flip_index == FLIP and s.mirror and s.crop and s.crop_pad == 7
    assert (s.global_scale, s.scale_jitter_lo, s.scale_jitter_up, s.max_input_size) == (0.8, 0.85, 1.15, 900)
    with pytest.raises(ValueError, match="flip_index"):
        AugmentSettings(mirror=True)


def test_pad_batch_pads_images_with_the_mean_and_targets_with_zeros():
    settings = builders.targets(3, location_refinement=True, pairwise_predict=True)
    joints = np.array([[(10, 10, 2), (20, 12, 2), (0, 0, 0)]], dtype=float)
    items = []
    for size in ((32, 48), (40, 24)):
        image = np.full(size + (3,), 200, dtype=np.uint8)
        items.append((image, compute_targets(joints, size, settings)))
    mean = (123.68, 116.779, 103.939)
    batch = pad_batch(items, mean_pixel=mean)
    assert batch["inputs"].shape == (2, 40, 48, 3) and batch["inputs"].dtype == np.float32
    np.testing.assert_allclose(batch["inputs"][0, 32:], np.broadcast_to(mean, (8, 48, 3)), rtol=1e-6)
    np.testing.assert_allclose(batch["inputs"][1, :, 24:], np.broadcast_to(mean, (40, 24, 3)), rtol=1e-6)
    assert (batch["inputs"][0, :32] == 200).all()
    np.testing.assert_array_equal(batch["image_sizes"], [(32, 48), (40, 24)])
    assert batch["part_score_weights"].shape == (2, 6, 6, 3)  # grid_size(40, 48, 8) = (6, 6)
    assert batch["pairwise_targets"].shape == batch["pairwise_mask"].shape == (2, 6, 6, 12)
    assert batch["locref_mask"].shape == (2, 6, 6, 6)
    weights = batch["part_score_weights"]
    assert (weights[0, 4:] == 0).all() and (weights[0, :4] == 1).all()  # image 0: a 4 x 6 grid
    assert (weights[1, :, 4:] == 0).all() and (weights[1, :, :4] == 1).all()  # image 1: 6 x 4
    for key in ("part_score_targets", "locref_mask", "pairwise_mask"):
        assert not batch[key][0, 4:].any() and not batch[key][1, :, 4:].any()
    np.testing.assert_array_equal(batch["locref_targets"][0, :4], items[0][1]["locref_targets"])
    plain = pad_batch(items)
    assert (plain["inputs"][0, 32:] == 0).all()


def test_a_mirrored_image_swaps_left_and_right_with_only_keypoint_format_set():
    """keypoint_format: coco17, num_joints: 17, mirror: true and no all_joints: the flip pairs
    come from the format, so a left wrist becomes the right wrist's target in a mirrored image
    (before, the config's flip map was the identity there and left and right trained unswapped)."""
    from dataset.keypoint_formats import get_format
    from dataset.targets import compute_targets, target_settings_from_config
    from posecut.config import config_from_dict

    fmt = get_format("coco17")
    cfg = config_from_dict({"keypoint_format": "coco17", "num_joints": 17, "mirror": True,
                            "scale_jitter_lo": 1.0, "scale_jitter_up": 1.0})
    settings = augment_settings_from_config(cfg)
    left, right = fmt.index("left_wrist"), fmt.index("right_wrist")
    image = np.zeros((64, 96, 3), np.uint8)
    joints = np.zeros((1, 17, 3))
    joints[0, left] = (20.0, 30.0, 2)  # a left wrist on the image's left side, nothing else
    rng = np.random.default_rng(0)
    for _ in range(50):  # the mirror is drawn with probability 0.5: take the first mirrored one
        _, out, _ = augment(rng, image, joints, settings=settings)
        if out[0, out[0, :, 2] > 0, 0][0] != 20.0:
            break
    assert out[0, right, 2] == 2 and out[0, left, 2] == 0
    assert out[0, right, 0] == pytest.approx(96 - 1 - 20.0)
    scores = compute_targets(out, image.shape[:2], target_settings_from_config(cfg))[
        "part_score_targets"]
    assert scores[..., right].any() and not scores[..., left].any()
