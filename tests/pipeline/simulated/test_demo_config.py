"""Configuration of the demo dataset: schema defaults, the example file, and clear errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from common.config import ConfigError, load_schema
from pipeline.simulated import DemoConfig, config_from_dict, load_config
from pipeline.simulated.config import ROIS, SCHEMA, DnnChannelsConfig
from pipeline.simulated.photos import CATALOGUE

EXAMPLE = Path(__file__).parents[3] / "config" / "demo_data.yaml"


def test_dataclass_defaults_are_the_schema_defaults():
    assert config_from_dict({}) == DemoConfig() == load_config(None)
    # The same JSON types too (12 and 12.0 would give different build stamps).
    assert json.dumps(config_from_dict({}).to_dict()) == json.dumps(DemoConfig().to_dict())
    schema = load_schema(str(SCHEMA))["properties"]
    for name in ("stimuli", "model", "noise", "design"):
        assert set(schema[name]["properties"]) == {
            f.name for f in dataclasses.fields(getattr(DemoConfig(), name))
        }, name
    assert schema["model"]["properties"]["n_voxels"]["required"] == list(ROIS)


def test_example_config_is_the_default_with_deep_network_channels():
    example = load_config(EXAMPLE)
    assert example.model.dnn_channels == DnnChannelsConfig(input_size=128)
    assert dataclasses.replace(example, model=dataclasses.replace(example.model, dnn_channels=None)) == DemoConfig()


def test_build_stamps_are_unchanged():
    # Recorded when the dead-leaves training images came, the second when the demo's HVC voxels
    # took deep-network channels (model.dnn_channels at 128 px); a change here rebuilds the demo
    # dataset.
    config = load_config(EXAMPLE)
    assert config.digest("stimuli") == (
        "34b734b9b0d348c973259ce72f39995a1126374d44487311fbfbe4978ab9eb42")  # fmt: skip
    assert config.digest("stimuli", "model", "noise", "design") == (
        "582c8beddedd3a61237a4e68c9a71ee42fd925af1f7211122b706bd009109fd9")  # fmt: skip


def test_nested_under_demo_data_key(tmp_path):
    path = tmp_path / "workflow.yaml"
    path.write_text("demo_data:\n  stimuli: {image_size: 64}\nother_stage: {}\n")
    assert load_config(path).stimuli.image_size == 64


def test_digest_depends_only_on_named_sections():
    base = DemoConfig()
    other = config_from_dict({"noise": {"snr_median": 0.8}})
    assert base.digest("stimuli") == other.digest("stimuli")
    assert base.digest("noise") != other.digest("noise")
    assert base.digest() != other.digest()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stimulus": {}}, "unknown key 'stimulus' at (top level); did you mean 'stimuli'?"),
        ({"stimuli": {"image_sise": 64}}, "unknown key 'image_sise' at stimuli; did you mean 'image_size'?"),
        ({"stimuli": {"image_size": 8}}, "stimuli.image_size: 8 is less than the minimum of 16"),
        ({"stimuli": {"n_train": 0}}, "stimuli.n_train: 0 is less than the minimum of 1"),
        ({"stimuli": {"test_photos": ["lena"]}}, "stimuli.test_photos: unknown photo(s) ['lena']"),
        ({"stimuli": {"crop_scales": [1.5]}}, "stimuli.crop_scales.0: 1.5 is greater than the maximum of 1"),
        ({"stimuli": {"letters": "AAB"}}, "stimuli.letters: must be distinct"),
        ({"stimuli": {"letters": ["A", "B"]}}, "stimuli.letters: ['A', 'B'] is not of type 'string'"),
        ({"stimuli": {"test_photos": "chelsea"}}, "stimuli.test_photos: 'chelsea' is not of type 'array'"),
        ({"model": {"spatial_frequencies_cpd": [0.5, 6.0]}},
         "model.spatial_frequencies_cpd.1: 6.0 is greater than the maximum of 3.0"),
        ({"model": {"field_of_view_deg": 0}}, "model.field_of_view_deg: 0 is less than or equal to the minimum of 0"),
        ({"model": {"n_voxels": {"V1": 10}}}, "model.n_voxels: 'V2' is a required property"),
        ({"model": {"n_voxels": {**dict.fromkeys(ROIS, 5), "HCV": 1}}},
         "unknown key 'HCV' at model.n_voxels; did you mean 'HVC'?"),
        ({"model": {"dnn_channels": {"layer": "fc7"}}},
         "model.dnn_channels.layer: 'fc7' does not match '^conv[1-5]_[1-4]$'"),
        ({"model": {"dnn_channels": {"share": {"HCV": 1}}}},
         "unknown key 'HCV' at model.dnn_channels.share; did you mean 'HVC'?"),
        ({"movies": {"n_train": 1}}, "movies.n_train: 1 is less than the minimum of 2"),
        ({"noise": {"null_fraction": 1.0}}, "noise.null_fraction: 1.0 is greater than or equal to the maximum of 1"),
        ({"noise": {"snr_log_sd": -0.1}}, "noise.snr_log_sd: -0.1 is less than the minimum of 0"),
        ({"design": {"test_reps": 1}}, "design.test_reps: 1 is less than the minimum of 2"),
        ({"subjects": []}, "subjects: [] should be non-empty"),
        ({"subjects": [{"name": "a", "seed": 1}, {"name": "a", "seed": 2}]}, "distinct subject names"),
        ({"subjects": [{"name": "sub_01", "seed": 1}]}, "subjects.0.name: 'sub_01' does not match"),
        ({"subjects": [{"name": "sub-01", "seed": -1}]}, "subjects.0.seed: -1 is less than the minimum of 0"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match="demo_data config") as err:
        config_from_dict(data)
    assert message in str(err.value)


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("stimuli: {image_size: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    path.write_text("stimuli: {image_size: 8}\n")
    with pytest.raises(ConfigError, match="bad.yaml: stimuli.image_size: 8 is less than"):
        load_config(path)


def test_all_photos_held_out_is_rejected():
    with pytest.raises(ConfigError, match="leave none for training"):
        held_out = {"test_photos": list(CATALOGUE)[1:], "validation_photos": list(CATALOGUE)[:1]}
        config_from_dict({"stimuli": held_out})


def test_validating_on_test_photos_is_rejected():
    with pytest.raises(ConfigError, match=r"validation_photos: \['coffee'\] also test"):
        config_from_dict({"stimuli": {"validation_photos": ["coffee", "horse"]}})
