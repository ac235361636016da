"""Configuration: schema defaults, the shipped YAML and its profile, errors naming the key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest

from common.config import ConfigError, load_schema
from icnn.dgn import DGNConfig, config_from_dict, load_config
from icnn.dgn.config import SCHEMA

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "config" / "dgn.yaml"


def _stamp(config: DGNConfig) -> str:
    """The config part of the training cache stamp (icnn.dgn.train hashes ``to_dict()``)."""
    return hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()


def test_dataclass_defaults_are_the_schema_defaults():
    assert config_from_dict({}) == DGNConfig() == load_config(None)
    # The same JSON types too (60 and 60.0 would give different cache stamps).
    assert json.dumps(config_from_dict({}).to_dict()) == json.dumps(DGNConfig().to_dict())
    sections = load_schema(str(SCHEMA))["properties"]
    for name in ("latent", "data", "generator", "discriminator", "loss", "train", "bounds"):
        assert set(sections[name]["properties"]) == {
            f.name for f in dataclasses.fields(getattr(DGNConfig(), name))
        }, name


def test_shipped_config_and_gpu_profile():
    demo = load_config(SHIPPED)
    gpu = load_config(SHIPPED, profile="gpu")
    assert demo.latent.layer == "pool2" and demo.generator.resolution == 64
    assert gpu.generator.resolution is None and gpu.train.steps == 20000
    assert gpu.latent == demo.latent  # the overlay changes only what it names
    assert gpu.loss.feature_layers == ("conv2_1", "conv3_1", "conv4_1")
    assert config_from_dict(demo.to_dict()) == demo


def test_shipped_config_stamps_are_unchanged():
    # A change here retrains every cached generator (recorded with the clipping and divergence check).
    assert _stamp(load_config(SHIPPED)) == (
        "f62256a43556c94b82b954074616e7fedb021afc27eeaf43e30a2302e8796d7d")  # fmt: skip
    assert _stamp(load_config(SHIPPED, "gpu")) == (
        "18dae276c826a5e97bdb0ff81b0e9cf777d38d01e81dd7407a13c3d59860b9a9")  # fmt: skip
    assert _stamp(DGNConfig()) == (
        "1c6600a6696b099131c4bb36e0d24993c8b47395661b2a254472191b0de1ce51")  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"trian": {}}, "unknown key 'trian' at (top level); did you mean 'train'?"),
        ({"train": {"stpes": 3}}, "unknown key 'stpes' at train; did you mean 'steps'?"),
        ({"train": {"steps": 0}}, "train.steps: 0 is less than the minimum of 1"),
        ({"train": {"lr": -0.1}}, "train.lr: -0.1 is less than or equal to the minimum of 0"),
        ({"train": {"seed": True}}, "train.seed: True is not of type 'integer'"),
        ({"train": {"beta1": 1}}, "train.beta1: 1 is greater than or equal to the maximum of 1"),
        ({"data": {"min_crop": 1.5}}, "data.min_crop: 1.5 is greater than the maximum of 1"),
        ({"image_size": 4}, "image_size: 4 is less than the minimum of 8"),
        ({"bounds": {"sd_multiple": 0}}, "bounds.sd_multiple: 0 is less than or equal to"),
        ({"loss": {"image": 0, "feature": 0}}, "loss: image and feature weights are both 0"),
        ({"loss": {"feature_layers": []}}, "loss.feature_layers: list at least one"),
        ({"image_size": 32, "generator": {"resolution": 64}}, "64 exceeds image_size 32"),
    ],
)
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match="dgn config") as info:
        config_from_dict(data)
    assert message in str(info.value)


def test_replaced_fields_are_checked():
    # The workflow overrides image_size with dataclasses.replace: still validated.
    with pytest.raises(ConfigError, match="image_size: 4 is less than the minimum of 8"):
        dataclasses.replace(DGNConfig(), image_size=4)
    with pytest.raises(ConfigError, match="generator.resolution: 64 exceeds image_size 32"):
        dataclasses.replace(load_config(SHIPPED), image_size=32)


def test_profiles(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train: {steps: 5}\nprofiles:\n  gpu: {train: {steps: 9}}\n"
                    "  big: {train: {batch_size: 0}}\n")  # fmt: skip
    assert load_config(path).train.steps == 5
    assert load_config(path, "gpu").train.steps == 9
    assert load_config(path, "gpu").train.batch_size == 16  # defaults filled after merging
    with pytest.raises(ConfigError, match=r"no profile 'tpu'; available: \['big', 'gpu'\]"):
        load_config(path, "tpu")
    with pytest.raises(ConfigError, match=r"\(profile big\): train.batch_size: 0 is less than"):
        load_config(path, "big")  # the merged config is validated
    path.write_text("profiles: {gpu: 3}\n")
    with pytest.raises(ConfigError, match="profiles.gpu: 3 is not of type 'object'"):
        load_config(path)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.yaml does not exist"):
        load_config(tmp_path / "missing.yaml")
    path = tmp_path / "bad.yaml"
    path.write_text("train: {steps: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    path.write_text("train: {stpes: 3}\n")
    with pytest.raises(ConfigError, match=re.escape(f"dgn config {path}: unknown key 'stpes'")):
        load_config(path)
