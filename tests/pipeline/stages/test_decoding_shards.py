"""The decoding stages with sharded decoders: the same decoded features and scores as one file."""

import tracemalloc
from pathlib import Path

import h5py
import numpy as np
import pytest

from decoders.bdata import BData
from decoders.feature_store import FeatureStore, write_features
from decoders.shards import ShardedDecoder
from pipeline.stages.decoding import decode_features, score_decoding, session_samples, train_decoder


def _session(path, labels, reps, weights, features, rng):
    order = np.tile(np.arange(len(labels)), reps)
    bd = BData()
    bd.add(features[order].reshape(len(order), -1) @ weights + rng.normal(size=(len(order), 30)), "VoxelData")
    bd.add(order[:, None] + 1.0, "stimulus_name")
    bd.add_vmap("stimulus_name", {float(k + 1): label for k, label in enumerate(labels)})
    bd.add_metadata("ROI_VC", np.ones(30), where="VoxelData")
    bd.save(path)


@pytest.fixture
def study(tmp_path):
    """12 training images shown 3 times, 4 test images shown twice, features (4, 3, 3)."""
    rng = np.random.default_rng(1)
    train, test = rng.normal(size=(12, 4, 3, 3)), rng.normal(size=(4, 4, 3, 3))
    weights = rng.normal(size=(36, 30))
    labels = [f"tr{i:02d}" for i in range(12)], [f"te{i}" for i in range(4)]
    _session(tmp_path / "train.h5", labels[0], 3, weights, train, rng)
    _session(tmp_path / "test.h5", labels[1], 2, weights, test, rng)
    write_features(tmp_path / "train_features.h5", {"conv": train.astype(np.float32)}, labels[0])
    write_features(tmp_path / "test_features.h5", {"conv": test.astype(np.float32)}, labels[1])
    return tmp_path


def _decoder_args(study: Path) -> dict:
    """train_decoder's arguments for the study's layer 'conv' (ROI VC, 10 voxels per unit)."""
    return dict(fmri=study / "train.h5", roi="ROI_VC = 1", labels="stimulus_name",
                features=study / "train_features.h5", layer="conv", n_voxels=10, alpha=1.0)  # fmt: skip


def _train_whole_and_shards(study: Path, n_shards: int, shard_units: int) -> list[Path]:
    """Train 'conv' as one file (whole.h5) and in shards; return the shard files."""
    train_decoder(output=study / "whole.h5", **_decoder_args(study))
    shards = [study / f"shard-{k}.h5" for k in range(n_shards)]
    for k, path in enumerate(shards):
        train_decoder(output=path, shard=k, shard_units=shard_units, **_decoder_args(study))
    return shards


def test_sharded_and_unsharded_decoders_decode_and_score_the_same(study):
    # 36 units in shards of about 10: whole channels of 9 units -> 4 shards.
    shards = _train_whole_and_shards(study, n_shards=4, shard_units=10)
    with pytest.raises(ValueError, match="shard 4 of layer 'conv': it has 4 shards"):
        train_decoder(output=study / "x.h5", shard=4, shard_units=10, **_decoder_args(study))
    for name, models in (("whole", [study / "whole.h5"]), ("sharded", shards)):
        decode_features(study / "test.h5", "ROI_VC = 1", "stimulus_name", {"conv": models},
                        study / "test_features.h5", study / f"decoded_{name}.h5")  # fmt: skip
        score_decoding(study / f"decoded_{name}.h5", study / "test_features.h5", {"conv": models},
                       study / f"scores_{name}.tsv", {"subject": "s"})  # fmt: skip
    with FeatureStore(study / "decoded_whole.h5") as a, FeatureStore(study / "decoded_sharded.h5") as b:
        np.testing.assert_allclose(b.get("conv"), a.get("conv"), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(b.train_mean("conv"), a.train_mean("conv"))
        # The decoders learnt something: decoded features correlate with the true ones.
        with FeatureStore(study / "test_features.h5") as true:
            r = np.corrcoef(a.get("conv").ravel(), true.get("conv").ravel())[0, 1]
    assert r > 0.3  # 36 units from 30 voxels: far from perfect, far from chance
    whole, sharded = (np.loadtxt(study / f"scores_{n}.tsv", skiprows=1, usecols=(3, 4, 5))
                      for n in ("whole", "sharded"))  # fmt: skip
    np.testing.assert_allclose(sharded, whole, rtol=1e-4)


def test_decode_writes_layer_by_layer_the_store_the_in_memory_writer_wrote(study):
    shards = _train_whole_and_shards(study, n_shards=2, shard_units=20)
    models = {"conv": shards, "conv_whole": [study / "whole.h5"]}
    decode_features(study / "test.h5", "ROI_VC = 1", "stimulus_name", models,
                    study / "test_features.h5", study / "decoded.h5")  # fmt: skip
    # What decode_features wrote before it streamed: every layer decoded, then one write.
    X, sample_labels = session_samples(study / "test.h5", "ROI_VC = 1", "stimulus_name")
    with FeatureStore(study / "test_features.h5") as store:
        image_labels = store.labels
    decoded, train_mean = {}, {}
    for layer, paths in models.items():
        model = ShardedDecoder(paths)
        Y, order = model.predict_average(X, sample_labels)
        decoded[layer] = Y[[order.index(label) for label in image_labels]]
        train_mean[layer] = model.unit_stats()[0]
    write_features(study / "before.h5", decoded, image_labels,
                   attrs={"roi": "ROI_VC = 1", "fmri": str(study / "test.h5")}, train_mean=train_mean)  # fmt: skip
    with h5py.File(study / "decoded.h5") as new, h5py.File(study / "before.h5") as old:
        assert dict(new.attrs) == dict(old.attrs)
        np.testing.assert_array_equal(new["labels"][()], old["labels"][()])
        assert set(new["features"]) == set(old["features"]) == set(new["train_mean"]) == {"conv", "conv_whole"}
        for group in ("features", "train_mean"):
            for layer in models:
                a, b = new[group][layer], old[group][layer]
                assert (a.dtype, a.shape, a.chunks) == (b.dtype, b.shape, b.chunks)
                np.testing.assert_array_equal(a[()], b[()])
    with pytest.raises(KeyError, match="never shown"):
        decode_features(study / "test.h5", "ROI_VC = 1", "stimulus_name", models,
                        study / "train_features.h5", study / "bad.h5")  # fmt: skip
    assert not (study / "bad.h5").exists()


def test_decode_holds_one_layer_at_a_time(tmp_path):
    """A second layer as large as the first adds little to the peak: the first was written."""
    rng = np.random.default_rng(2)
    units, n_test = 8000, 200
    train, test = rng.normal(size=(12, units)), rng.normal(size=(n_test, units))
    weights = rng.normal(size=(units, 30)) / np.sqrt(units)
    labels = [f"tr{i:02d}" for i in range(12)], [f"te{i:03d}" for i in range(n_test)]
    _session(tmp_path / "train.h5", labels[0], 3, weights, train, rng)
    _session(tmp_path / "test.h5", labels[1], 1, weights, test, rng)
    write_features(tmp_path / "train_features.h5", {"fc": train.astype(np.float32)}, labels[0])
    write_features(tmp_path / "test_features.h5", {"fc": test.astype(np.float32)}, labels[1])
    train_decoder(output=tmp_path / "fc.h5", fmri=tmp_path / "train.h5", roi="ROI_VC = 1",
                  labels="stimulus_name", features=tmp_path / "train_features.h5", layer="fc",
                  n_voxels=10, alpha=1.0)  # fmt: skip
    peaks = {}
    for n_layers in (1, 2):
        models = {f"fc{i}": [tmp_path / "fc.h5"] for i in range(n_layers)}
        tracemalloc.start()  # NumPy's and h5py's arrays are traced
        decode_features(tmp_path / "test.h5", "ROI_VC = 1", "stimulus_name", models,
                        tmp_path / "test_features.h5", tmp_path / f"decoded{n_layers}.h5")  # fmt: skip
        peaks[n_layers] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    with FeatureStore(tmp_path / "decoded2.h5") as store:
        layer_bytes = store.get("fc1").nbytes
        np.testing.assert_array_equal(store.get("fc1"), store.get("fc0"))
    assert peaks[1] > 2 * layer_bytes  # the layer and its copy in image order are traced
    # Holding every layer until the end added a whole layer (or more) per layer.
    assert peaks[2] < peaks[1] + layer_bytes / 4
