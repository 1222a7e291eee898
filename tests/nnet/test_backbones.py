"""One list of backbone names: the config accepts exactly the backbones the network builds."""
import pytest

from nnet.backbones import NET_TYPES
from posecut.config import config_from_dict
from lib.errors import ConfigError
import builders


@pytest.mark.parametrize("net_type", NET_TYPES)
def test_every_listed_backbone_is_accepted_by_the_config_and_the_network(net_type):
    cfg = config_from_dict({"net_type": net_type, "num_joints": 3})
    assert builders.spec(cfg.net_type, 3).net_type == net_type


@pytest.mark.parametrize("net_type", ["mobilenet_v2_0.6", "resnet_34", "mobilenet_v3_1.0"])
def test_an_unlisted_backbone_is_refused_by_both(net_type):
    with pytest.raises(ConfigError, match="net_type"):
        config_from_dict({"net_type": net_type, "num_joints": 3})
    with pytest.raises(ValueError):
        builders.spec(net_type, 3)
