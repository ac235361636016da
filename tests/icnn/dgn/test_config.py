"""Configuration: defaults, the shipped YAML and its profile, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from icnn.dgn import DGNConfig, config_from_dict, load_config

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_config_and_gpu_profile():
    demo = load_config(ROOT / "config" / "dgn.yaml")
    gpu = load_config(ROOT / "config" / "dgn.yaml", profile="gpu")
    assert demo.latent.layer == "pool5" and demo.generator.resolution == 64
    assert gpu.generator.resolution is None and gpu.train.steps > demo.train.steps
    assert gpu.latent == demo.latent  # the overlay changes only what it names
    assert config_from_dict(demo.to_dict()) == demo


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"trian": {}}, "unknown key(s) ['trian']"),
        ({"train": {"stpes": 3}}, "train: unknown key(s) ['stpes']"),
        ({"train": {"steps": 0}}, "train.steps: must be an integer >= 1"),
        ({"data": {"min_crop": 1.5}}, "data.min_crop"),
        ({"loss": {"image": 0, "feature": 0}}, "both 0"),
        ({"loss": {"feature_layers": []}}, "loss.feature_layers"),
        ({"image_size": 32, "generator": {"resolution": 64}}, "generator.resolution"),
        ({"bounds": {"sd_multiple": 0}}, "bounds.sd_multiple"),
    ],
)
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ValueError) as info:
        config_from_dict(data)
    assert message in str(info.value)


def test_unknown_profile(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("profiles: {gpu: {train: {steps: 9}}}\n")
    assert load_config(path, "gpu").train.steps == 9
    with pytest.raises(ValueError, match="no profile 'tpu'"):
        load_config(path, "tpu")
    assert load_config(None) == DGNConfig()
