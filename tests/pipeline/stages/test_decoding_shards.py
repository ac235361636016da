"""The decoding stages with sharded decoders: the same decoded features and scores as one file."""

import numpy as np
import pytest

from decoders.bdata import BData
from decoders.feature_store import FeatureStore, write_features
from pipeline.stages.decoding import decode_features, score_decoding, train_decoder


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


def test_sharded_and_unsharded_decoders_decode_and_score_the_same(study):
    common = dict(fmri=study / "train.h5", roi="ROI_VC = 1", labels="stimulus_name",
                  features=study / "train_features.h5", layer="conv", n_voxels=10, alpha=1.0)  # fmt: skip
    train_decoder(output=study / "whole.h5", **common)
    # 36 units in shards of about 10: whole channels of 9 units -> 4 shards.
    shards = [study / f"shard-{k}.h5" for k in range(4)]
    for k, path in enumerate(shards):
        train_decoder(output=path, shard=k, shard_units=10, **common)
    with pytest.raises(ValueError, match="shard 4 of layer 'conv': it has 4 shards"):
        train_decoder(output=study / "x.h5", shard=4, shard_units=10, **common)
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
