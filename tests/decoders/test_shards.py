import numpy as np
import pytest

from decoders.feature_store import FeatureStore, write_features
from decoders.regression import FastL2Decoder
from decoders.shards import ShardedDecoder, fit_units, read_unit_stats, shard_ranges


@pytest.fixture
def image_data(rng):
    """12 images shown 5 times each (60 samples x 40 voxels), features (12, 3, 2, 2)."""
    images = rng.standard_normal((12, 3, 2, 2)) * 2.0 + 5.0
    rows = np.tile(np.arange(12), 5)
    rng.shuffle(rows)
    Y = images[rows]
    X = Y.reshape(60, -1) @ rng.standard_normal((12, 40)) + rng.standard_normal((60, 40))
    X[:, 7] = 1.5  # a constant voxel
    return X, rows, images, rng.standard_normal((6, 40)) + X.mean(0)


def store_units(tmp_path, images, dtype=np.float64):
    path = tmp_path / "true.h5"
    write_features(path, {"conv": images.astype(dtype)}, [f"im{i:02d}" for i in range(len(images))])
    return FeatureStore(path)


def test_shard_ranges_cover_the_layer_on_aligned_boundaries():
    assert shard_ranges(10, 3) == [(0, 2), (2, 5), (5, 7), (7, 10)]
    ranges = shard_ranges(64 * 50, 1000, align=50)
    assert len(ranges) == 4 and ranges[0][0] == 0 and ranges[-1][1] == 3200
    assert all(a % 50 == 0 and b > a for a, b in ranges)
    assert all(prev[1] == nxt[0] for prev, nxt in zip(ranges[:-1], ranges[1:], strict=True))
    # Alignment larger than a shard is dropped rather than leaving empty shards.
    assert shard_ranges(100, 10, align=64) == [(10 * i, 10 * i + 10) for i in range(10)]
    with pytest.raises(ValueError, match="shard_units >= 1"):
        shard_ranges(10, 0)


@pytest.mark.parametrize("n_voxels", [6, None])
def test_streamed_fit_equals_fit_on_expanded_features(tmp_path, image_data, n_voxels):
    X, rows, images, X_test = image_data
    model = FastL2Decoder(n_voxels=n_voxels, dtype="float64", chunk_size=3)
    reference = model.fit(X, images[rows])
    with store_units(tmp_path, images) as store:
        # Slabs of 5 units: the slabs cut across solver chunks and channels.
        fit_units(FastL2Decoder(n_voxels=n_voxels, dtype="float64", chunk_size=3), X, rows,
                  store.units("conv"), tmp_path / "m.h5", slab=5)  # fmt: skip
    loaded = FastL2Decoder.load(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.weights_, reference.weights_, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(loaded.y_mean_, reference.y_mean_)
    np.testing.assert_array_equal(loaded.y_std_, reference.y_std_)
    if n_voxels:
        np.testing.assert_array_equal(loaded.voxel_index_, reference.voxel_index_)
    np.testing.assert_allclose(loaded.predict(X_test), reference.predict(X_test), rtol=1e-12)


def test_sharded_and_unsharded_fits_decode_the_same_features(tmp_path, image_data):
    X, rows, images, X_test = image_data
    with store_units(tmp_path, images.astype(np.float32)) as store:
        reader = store.units("conv")
        fit_units(FastL2Decoder(n_voxels=8), X, rows, reader, tmp_path / "whole.h5")
        shards = []
        for k, units in enumerate(shard_ranges(12, 5, align=reader.align)):
            shards.append(tmp_path / f"shard-{k}.h5")
            fit_units(FastL2Decoder(n_voxels=8), X, rows, reader, shards[-1], units)
    assert len(shards) == 3
    whole = ShardedDecoder([tmp_path / "whole.h5"])
    sharded = ShardedDecoder(shards[::-1])  # any order
    labels = ["a", "b", "a", "c", "b", "c"]
    got, order = sharded.predict_average(X_test, labels)
    expected, same = whole.predict_average(X_test, labels)
    assert order == same == ["a", "b", "c"] and got.shape == (3, 3, 2, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, FastL2Decoder.load(tmp_path / "whole.h5")
                               .predict_average(X_test, labels)[0], rtol=1e-6)  # fmt: skip
    for a, b in zip(read_unit_stats(shards), read_unit_stats([tmp_path / "whole.h5"]), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="cover units 0-4, 8-12 of 12: some are missing"):
        ShardedDecoder([shards[0], shards[2]])
    with pytest.raises(ValueError, match="holds units 4-8 of 12 .one shard."):
        FastL2Decoder.load(shards[1])


def test_shards_of_different_decoders_are_refused(tmp_path, image_data):
    X, rows, images, _ = image_data
    with store_units(tmp_path, images) as store:
        fit_units(FastL2Decoder(n_voxels=8), X, rows, store.units("conv"), tmp_path / "a.h5", (0, 6))
        fit_units(FastL2Decoder(n_voxels=9), X, rows, store.units("conv"), tmp_path / "b.h5", (6, 12))
    with pytest.raises(ValueError, match="shards of different decoders"):
        ShardedDecoder([tmp_path / "a.h5", tmp_path / "b.h5"])


def test_fit_units_checks_before_compute(tmp_path, image_data):
    X, rows, images, _ = image_data
    bad = images.copy()
    bad[3, 1, 0, 0] = np.nan
    with store_units(tmp_path, bad) as store:
        reader = store.units("conv")
        with pytest.raises(ValueError, match="unit range 0-13 is not within the layer's 12 units"):
            fit_units(FastL2Decoder(), X, rows, reader, tmp_path / "m.h5", (0, 13))
        with pytest.raises(ValueError, match="must index the 12 images"):
            fit_units(FastL2Decoder(), X, rows + 1, reader, tmp_path / "m.h5")
        with pytest.raises(ValueError, match="true features of units 0-12 has 1 NaN"):
            fit_units(FastL2Decoder(n_voxels=8), X, rows, reader, tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()
