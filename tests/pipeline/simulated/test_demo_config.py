"""Configuration of the demo dataset: defaults, the example file, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.simulated import DemoConfig, config_from_dict, load_config

EXAMPLE = Path(__file__).parents[3] / "config" / "demo_data.yaml"


def test_example_config_is_the_default():
    assert load_config(EXAMPLE) == DemoConfig()
    assert load_config(None) == DemoConfig()


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
        ({"stimulus": {}}, "unknown key(s) ['stimulus']"),
        ({"stimuli": {"size": 64}}, "stimuli: unknown key(s) ['size']"),
        ({"stimuli": {"image_size": 8}}, "stimuli.image_size: must be an integer >= 16"),
        ({"stimuli": {"test_photos": ["lena"]}}, "stimuli.test_photos: unknown photo(s) ['lena']"),
        ({"stimuli": {"crop_scales": [1.5]}}, "stimuli.crop_scales"),
        ({"stimuli": {"letters": "AAB"}}, "stimuli.letters"),
        ({"stimuli": {"letters": ["A", "B"]}}, "stimuli.letters"),
        ({"stimuli": {"test_photos": "chelsea"}}, "stimuli.test_photos: must be a list"),
        ({"model": {"spatial_frequencies_cpd": [0.5, 6.0]}}, "model.spatial_frequencies_cpd"),
        ({"model": {"n_voxels": {"V1": 10}}}, "model.n_voxels: needs exactly the keys"),
        ({"noise": {"null_fraction": 1.0}}, "noise.null_fraction"),
        ({"design": {"test_reps": 1}}, "design.test_reps: must be an integer >= 2"),
        ({"subjects": []}, "subjects: expected a non-empty list"),
        (
            {"subjects": [{"name": "a", "seed": 1}, {"name": "a", "seed": 2}]},
            "distinct subject names",
        ),
        ({"subjects": [{"name": "sub_01", "seed": 1}]}, "without '/' or '_'"),
    ],
)
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ValueError, match="demo_data config") as err:
        config_from_dict(data)
    assert message in str(err.value)


def test_invalid_yaml_is_a_value_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("stimuli: {image_size: [\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_config(path)


def test_all_photos_for_test_is_rejected():
    from pipeline.simulated.photos import CATALOGUE

    with pytest.raises(ValueError, match="leaves no photo for training"):
        config_from_dict({"stimuli": {"test_photos": list(CATALOGUE)}})
