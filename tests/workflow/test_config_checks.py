"""Parse-time checks of workflow configs: each bad entry is named with its fix."""

import hashlib
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from pipeline.config import ConfigError, check_config
from pipeline.download import fetch

ROOT = Path(__file__).resolve().parents[2]
VALIDATION_SESSION = "data/demo/sub-01_perceptionNaturalImageValidation_original_VC.h5"


def _default() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


@pytest.fixture
def config():
    """The default config with sub-01's validation session as a second test set (as
    config/validation.yaml adds it), reconstructed from decoded features only."""
    cfg = _default()
    cfg["subjects"]["sub-01"]["test"]["validation"] = VALIDATION_SESSION
    cfg["reconstruction"]["true_sets"] = ["natural"]
    return cfg


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_default_config_passes(config):
    check_config(config)
    check_config(_default())


def test_validation_overlay_adds_the_candidate_layer_sets():
    from pipeline.config import decoded_conditions, layer_sets

    merged = _default()
    update_config(merged, yaml.safe_load((ROOT / "config" / "validation.yaml").read_text()))
    check_config(merged)
    sets = layer_sets(merged)
    assert sorted(sets) == ["all", "conv3-5", "mid"] and merged["reconstruction"]["sources"] == ["decoded"]
    assert sets["conv3-5"]["variants"] == merged["reconstruction"]["variants"]
    assert decoded_conditions(merged) == [("sub-01", "VC", "natural"), ("sub-01", "VC", "validation")]


def _labels(config, spec):
    """Replace sub-01's label key by a label spec."""
    config["subjects"]["sub-01"].pop("label_key", None)
    config["subjects"]["sub-01"]["labels"] = spec


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["encoder"].update(layers=["conv1_2", "conv9_9"]), "has no layers \\['conv9_9'\\]"),
        (lambda c: c["encoder"].update(layers=["conv1_2", "fc7"]), "has no layers \\['fc7'\\]"),
        (lambda c: c["encoder"].update(name="resnet"), "unknown encoder 'resnet'"),
        (lambda c: c["encoder"].update(name="vgg19_caffe"), "needs 'weights'"),
        (lambda c: c["reconstruction"]["layer_sets"].update(low=["conv1_1"]), "layer_sets.low"),
        (lambda c: c["reconstruction"]["layer_sets"].update(low={"layers": ["conv1_2"], "variants": ["icnn_x"]}),
         "layer_sets.low.variants: \\['icnn_x'\\] are not in reconstruction.variants"),
        (lambda c: c["reconstruction"]["layer_sets"].pop("conv3-5"),
         "\\['icnn_dgn_gd', 'icnn_dgn_lbfgs'\\] are in no layer set"),
        (lambda c: c.update(figures={"layer_set": "low"}), "figures.layer_set: 'low' is not one of"),
        (lambda c: c["reconstruction"]["options"].update(icnn_gd={"iterations": 5}), "options.icnn_gd"),
        (lambda c: c["reconstruction"].update(stats_image_set="nope"), "stats_image_set"),
        (lambda c: c["reconstruction"].update(true_sets=["natural", "faces"]),
         "true_sets: \\['faces'\\] are not test sets of the config's subjects \\['natural', 'validation'\\]"),
        (lambda c: c["reconstruction"].update(sources=["decoded"]), "true_sets: .* without \"true\""),
        (lambda c: c["subjects"]["sub-01"]["test"].update(faces="data/demo/x.h5"), "test.faces"),
        (lambda c: c["subjects"]["sub-01"]["train"].update(fmri="elsewhere/never.h5"),
         "train.fmri: elsewhere/never.h5 does not exist"),
        (lambda c: c.update(generator=None), "the DGN variants need a generator"),
        (lambda c: c.update(generator={"card": "missing/generator.yaml"}), "generator.card"),
        (lambda c: c["subjects"]["sub-01"].update(labels="Label"), "give 'labels' or 'label_key', not both"),
        (lambda c: _labels(c, {"key": "image_index", "table": {"training": "t.tsv"}}),
         "labels.table: no index table for the image sets \\['natural'"),
        (lambda c: _labels(c, {"key": "image_index", "table": "missing/t.tsv"}),
         "labels.table: missing/t.tsv does not exist"),
        (lambda c: _labels(c, {"key": "Label", "colum": 1}), "labels: .*unknown fields \\['colum'\\]"),
    ],
)
def test_bad_entries_are_named(config, change, message):
    change(config)
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_true_sets_default_to_every_test_set(config):
    from pipeline.config import true_sets

    assert true_sets(config) == ["natural"]  # the default config leaves out its validation set
    del config["reconstruction"]["true_sets"]
    assert true_sets(config) == ["natural", "validation"]
    config["reconstruction"]["sources"] = ["decoded"]
    assert true_sets(config) == []


def test_layer_sets_name_their_layers_and_variants(config):
    from pipeline.config import decoded_conditions, layer_sets

    config["reconstruction"]["layer_sets"]["deep"] = ["conv5_4"]
    config["reconstruction"]["layer_sets"]["narrow"] = {
        "layers": ["conv1_2"], "variants": ["icnn_gd"], "image_sets": ["validation"]}
    sets = layer_sets(config)
    every = {"subjects": ["sub-01"], "rois": ["VC"], "image_sets": ["natural", "validation"]}
    assert sets["conv3-5"] == {"layers": ["conv3_4", "conv4_4", "conv5_4"],
                               "variants": ["icnn_dgn_gd", "icnn_dgn_lbfgs"], **every}  # fmt: skip
    assert sets["deep"] == {"layers": ["conv5_4"], "variants": config["reconstruction"]["variants"], **every}
    assert sets["narrow"]["image_sets"] == ["validation"] and sets["narrow"]["rois"] == ["VC"]
    assert decoded_conditions(config, "narrow") == [("sub-01", "VC", "validation")]
    assert decoded_conditions(config) == [("sub-01", "VC", "natural"), ("sub-01", "VC", "validation")]


def test_a_scope_naming_an_unknown_roi_fails(config):
    config["reconstruction"]["layer_sets"]["conv3-5"]["rois"] = ["V9"]
    with pytest.raises(ConfigError, match=r"layer_sets.conv3-5.rois: \['V9'\] are not among the config's rois"):
        check_config(config)


def test_download_paths_may_be_missing(config, tmp_path):
    config["subjects"]["sub-01"]["train"]["fmri"] = "data/new/train.h5"
    with pytest.raises(ConfigError, match="list it under 'downloads'"):
        check_config(config)
    config["downloads"] = [{"path": "data/new/train.h5", "url": "https://example.org/x"}]
    check_config(config)


def test_fetch_checks_md5_and_leaves_nothing_half_written(tmp_path):
    source = tmp_path / "remote.bin"
    source.write_bytes(b"voxels" * 100)
    good = hashlib.md5(source.read_bytes()).hexdigest()
    fetch(source.as_uri(), tmp_path / "out" / "a.bin", md5=good)
    assert (tmp_path / "out" / "a.bin").read_bytes() == source.read_bytes()
    with pytest.raises(ValueError, match="md5 of .* expected 0+"):
        fetch(source.as_uri(), tmp_path / "out" / "b.bin", md5="0" * 32)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.bin"]


def test_shen2019_config_passes_before_its_download(config):
    shen = yaml.safe_load((ROOT / "config" / "shen2019.yaml").read_text())
    check_config(shen)  # every file is downloaded or unzipped by a download entry
    shen["generator"]["bounds"] = shen["generator"]["bounds"].replace("act_range/3x/relu7.txt", "act_range_relu7.npy")
    with pytest.raises(ConfigError, match="generator.bounds: .*act_range_relu7.npy does not exist.*'files' of its archive"):
        check_config(shen)


def test_schema_enums_follow_the_registries():
    from common.config import load_schema
    from icnn.metrics import METRICS
    from icnn.networks.registry import ENCODERS
    from icnn.recon.rescale import METHODS
    from pipeline.config import SCHEMA

    props = load_schema(str(SCHEMA))["properties"]
    assert props["evaluation"]["properties"]["metrics"]["items"]["enum"] == list(METRICS)
    assert props["reconstruction"]["properties"]["rescale"]["enum"] == list(METHODS)
    assert props["encoder"]["properties"]["name"]["enum"] == list(ENCODERS)


def test_published_conditions_are_checked_against_networks_and_the_file_list():
    from pipeline.config import check_published, published_zips
    from pipeline.download import read_file_list

    shen = yaml.safe_load((ROOT / "config" / "shen2019.yaml").read_text())
    published, weights = shen["published"], shen["encoder"]["weights"]
    listed = list(read_file_list(ROOT / published["file_list"]))
    assert len(published_zips(published)) == 4 * 19 * 3  # natural, color_shape, alphabet, imagery
    check_published(published, weights, listed)
    published["conditions"]["letters"]["network"] = "AlexNet"
    with pytest.raises(ConfigError, match="conditions.letters.network: 'AlexNet' has no entry under published.encoders"):
        check_published(published, weights, listed)
    published["conditions"]["letters"].update(network="VGG19", image_type="letters")
    with pytest.raises(ConfigError, match="57 decoded-feature files are not in .*decodedfeatures-letters-VGG19-conv1_1-S1"):
        check_published(published, weights, listed)
    published["conditions"]["letters"].update(image_type="alphabet", layer_sets={"all": ["conv6_1"]})
    with pytest.raises(ConfigError, match=r"conditions.letters: encoder 'vgg19_caffe' has no layers \['conv6_1'\]"):
        check_published(published, weights, listed)
