"""The backbones by name, as data with no TensorFlow import: the config validates ``net_type``
against them and the network builders read their layouts from here."""

# Units per block (block1..block4) of each ResNet, as slim's resnet_v1_N.
RESNET_UNITS = {
    "resnet_50": (3, 4, 6, 3),
    "resnet_101": (3, 4, 23, 3),
    "resnet_152": (3, 8, 36, 3),
}
# Width multipliers of the light backbone, as slim's published mobilenet_v2_M checkpoints.
MOBILENET_MULTIPLIERS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
NET_TYPES = tuple(RESNET_UNITS) + tuple(f"mobilenet_v2_{m}" for m in MOBILENET_MULTIPLIERS)
