"""Settings records built the way a user's config builds them: the config table's defaults plus
the values a test names, so no test restates a default (float32 unless a test asks otherwise)."""
import dataclasses

from multiperson.predict import multiperson_settings_from_config
from nnet.backbones import RESNET_UNITS
from nnet.heads import head_layout_from_config
from nnet.losses import loss_settings_from_config
from nnet.pose_net import spec_from_config
from dataset.targets import target_settings_from_config
from posecut.config import config_from_dict


def config(**values):
    """A PoseConfig of the config table's defaults and ``values``, computing in float32."""
    return config_from_dict({"precision": "float32", **values})


def heads(num_joints, **values):
    """The HeadLayout of a config with ``num_joints`` and ``values``."""
    return head_layout_from_config(config(num_joints=num_joints, **values))


def spec(net_type, num_joints, **values):
    """The PoseNetSpec of a config with this backbone, ``num_joints`` and ``values``."""
    return spec_from_config(config(net_type=net_type, num_joints=num_joints, **values))


def targets(num_joints, **values):
    """The TargetSettings of a config with ``num_joints`` and ``values``."""
    return target_settings_from_config(config(num_joints=num_joints, **values))


def losses(num_joints=1, **values):
    """The LossSettings of a config with ``values``."""
    return loss_settings_from_config(config(num_joints=num_joints, **values))


def grouping(num_joints, **values):
    """The MultiPersonSettings of a config with ``num_joints`` and ``values``."""
    return multiperson_settings_from_config(config(num_joints=num_joints, **values))


TINY_RESNET = "resnet_tiny"
"""A ResNet of one bottleneck unit per block, for tests of training's mechanics (resume, signals,
replicas), whose step traces about 3x faster than the lightest published backbone's. Not a
net_type a config accepts: the config checks against nnet.backbones.NET_TYPES."""


def tiny_spec(num_joints, **values):
    """The PoseNetSpec of a config with ``num_joints`` and ``values`` on TINY_RESNET, which this
    registers as a backbone of the process (RESNET_UNITS) first."""
    RESNET_UNITS.setdefault(TINY_RESNET, (1, 1, 1, 1))
    return dataclasses.replace(spec("resnet_50", num_joints, **values), net_type=TINY_RESNET)
