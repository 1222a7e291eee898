"""One shared check of a network variant: build, forward at odd sizes, fold, save and load."""
import numpy as np

from nnet.checkpoint import load_weights, save_weights
from nnet.pose_net import build_pose_net, fold_batchnorm


def randomise(model, seed=0):
    """Give every weight (BatchNorm statistics included) a small random value."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        name = variable.path
        if name.endswith("moving_variance"):
            value = rng.uniform(0.5, 2.0, shape)
        elif name.endswith("gamma"):
            value = rng.uniform(0.5, 1.5, shape)
        elif name.endswith("kernel"):
            fan_in = np.prod(shape[:-1]) if len(shape) > 1 else 1
            value = rng.normal(0, 0.5 * np.sqrt(2.0 / fan_in), shape)
        else:
            value = rng.normal(0, 0.1, shape)
        variable.assign(value.astype(variable.dtype))


def check_network(spec, tmp_path, sizes=((37, 53), (64, 48)), fold_tolerance=1e-4):
    """Assert what every variant must do; returns the built model."""
    model = build_pose_net(spec)
    randomise(model)
    channels = spec.head_channels()
    for height, width in sizes:
        image = np.random.default_rng(height).integers(0, 256, (1, height, width, 3))
        outputs = model(image.astype(np.float32))
        assert set(outputs) == set(channels)
        for name, tensor in outputs.items():
            assert tuple(tensor.shape) == (1, *spec.heads.grid(height, width), channels[name]), name
            assert np.asarray(tensor).dtype == np.float32
            assert np.all(np.isfinite(np.asarray(tensor)))
    prefix = save_weights(model, tmp_path / "weights" / "snapshot")
    fresh = build_pose_net(spec)
    loaded = load_weights(fresh, prefix, spec)
    assert len(loaded) == len(model.weights)
    image = np.random.default_rng(7).integers(0, 256, (1, *sizes[0], 3)).astype(np.float32)
    before = model(image)
    after = fresh(image)
    folded = fold_batchnorm(fresh, spec)(image)
    for name in channels:
        np.testing.assert_array_equal(np.asarray(before[name]), np.asarray(after[name]))
        scale = max(1.0, float(np.abs(np.asarray(before[name])).max()))
        np.testing.assert_allclose(np.asarray(folded[name]), np.asarray(before[name]),
                                   atol=fold_tolerance * scale)
    return model
