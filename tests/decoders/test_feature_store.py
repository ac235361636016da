import h5py
import numpy as np
import pytest

from decoders.feature_store import (
    DecodedFeatureStore,
    FeatureStore,
    write_decoded_features,
    write_features,
)

LABELS = ["img_a", "img_b", "img_c", "img_d"]


@pytest.fixture
def layers(rng):
    return {
        "conv1": rng.standard_normal((4, 3, 5, 5)).astype(np.float32),
        "fc6": rng.standard_normal((4, 16)),
    }


def test_write_and_read_layers_and_subsets(tmp_path, layers):
    path = tmp_path / "vgg19.h5"
    write_features(path, layers, LABELS, attrs={"network": "VGG19"})
    with FeatureStore(path) as store:
        assert store.labels == LABELS and sorted(store.layers) == ["conv1", "fc6"]
        assert store.attrs["network"] == "VGG19"
        assert store.shape("conv1") == (4, 3, 5, 5)
        np.testing.assert_array_equal(store.get("fc6"), layers["fc6"])
        # Any order, with repeats (one row per fMRI trial).
        np.testing.assert_array_equal(
            store.get("conv1", ["img_c", "img_a", "img_c"]), layers["conv1"][[2, 0, 2]]
        )


def test_decoders_training_means_travel_with_decoded_features(tmp_path, layers):
    path = tmp_path / "decoded.h5"
    means = {"conv1": np.full((3, 5, 5), 0.5, np.float32)}
    write_features(path, layers, LABELS, train_mean=means)
    with FeatureStore(path) as store:
        np.testing.assert_array_equal(store.train_mean("conv1"), means["conv1"])
        with pytest.raises(KeyError, match="no decoder training mean of layer 'fc6'.*'center_decoded'"):
            store.train_mean("fc6")
    with pytest.raises(ValueError, match="training mean of layer 'fc6' does not match"):
        write_features(tmp_path / "bad.h5", layers, LABELS, train_mean={"fc6": np.zeros(15)})
    assert not (tmp_path / "bad.h5").exists()


def test_chunks_are_a_few_images_by_whole_channels(tmp_path, rng):
    path = tmp_path / "big.h5"
    conv = rng.standard_normal((40, 8, 100, 100)).astype(np.float32)
    write_features(path, {"conv": conv, "fc": conv[:, 0, 0, :]}, [str(i) for i in range(40)])
    with h5py.File(path) as h5:
        # 16 images x 6 channels of 100 x 100 float32: 3.8 MB, within the 4 MB target.
        assert h5["features/conv"].chunks == (16, 6, 100, 100)
        assert h5["features/fc"].chunks == (16, 100)


def test_unit_slabs_across_images(tmp_path, rng):
    conv = rng.standard_normal((5, 4, 3, 2)).astype(np.float32)
    write_features(tmp_path / "f.h5", {"conv": conv, "fc": conv[:, 0, 0]}, list("abcde"))
    with FeatureStore(tmp_path / "f.h5") as store:
        units = store.units("conv")
        assert units.unit_shape == (4, 3, 2) and units.n_rows == 5 and units.align == 24
        np.testing.assert_array_equal(units.read(5, 19), conv.reshape(5, -1)[:, 5:19])
        np.testing.assert_array_equal(store.units("fc").read(1, 2), conv[:, 0, 0, 1:2])


def test_incremental_float16_writer(tmp_path, rng):
    from decoders.feature_store import feature_writer

    conv = rng.standard_normal((5, 3, 4)).astype(np.float32)
    with feature_writer(tmp_path / "f.h5", list("abcde"), {"conv": (3, 4)}, "float16") as writer:
        writer.write("conv", 0, conv[:2])
        writer.write("conv", 2, conv[2:])
        with pytest.raises(ValueError, match=r"rows 4-6 of shape \(3, 4\) do not fit"):
            writer.write("conv", 4, conv[:2])
    with FeatureStore(tmp_path / "f.h5") as store:
        got = store.get("conv")
    assert got.dtype == np.float32  # float16 is only how it is stored
    with h5py.File(tmp_path / "f.h5") as h5:
        assert h5["features/conv"].dtype == np.float16
    np.testing.assert_allclose(got, conv, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="must be a float type such as float32 or float16"):
        with feature_writer(tmp_path / "g.h5", ["a"], {"x": (2,)}, "int8"):
            pass


def test_truncated_store_names_itself(tmp_path, layers):
    write_features(tmp_path / "f.h5", layers, LABELS)
    data = (tmp_path / "f.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(OSError, match=r"feature store .*cut\.h5 cannot be read .*truncated"):
        FeatureStore(tmp_path / "cut.h5")


def test_clear_errors(tmp_path, layers):
    path = tmp_path / "f.h5"
    write_features(path, layers, LABELS)
    with FeatureStore(path) as store:
        with pytest.raises(KeyError, match="no matching image.*img_z"):
            store.get("fc6", ["img_a", "img_z"])
        with pytest.raises(KeyError, match="layer 'fc7' not in .*available: conv1, fc6"):
            store.get("fc7")
    with pytest.raises(ValueError, match="layer 'fc6' has 4 rows but there are 3 labels"):
        write_features(tmp_path / "g.h5", {"fc6": layers["fc6"]}, LABELS[:3])
    with pytest.raises(FileNotFoundError, match="feature store not found"):
        FeatureStore(tmp_path / "missing.h5")


def test_decoded_store_adds_and_replaces_groups(tmp_path, layers):
    path = tmp_path / "decoded.h5"
    write_decoded_features(path, "sub-01", "VC", layers, LABELS)
    write_decoded_features(path, "sub-02", "VC", {"fc6": layers["fc6"] * 2}, LABELS)
    write_decoded_features(
        path, "sub-01", "VC", {"fc6": layers["fc6"] + 1}, LABELS, attrs={"alpha": 100.0}
    )
    store = DecodedFeatureStore(path)
    assert sorted(store.keys) == [("sub-01", "VC"), ("sub-02", "VC")]
    np.testing.assert_array_equal(store.get("sub-01", "VC", "fc6"), layers["fc6"] + 1)
    np.testing.assert_array_equal(
        store.get("sub-02", "VC", "fc6", ["img_b"]), layers["fc6"][[1]] * 2
    )
    with store.group("sub-01", "VC") as group:
        assert group.layers == ["fc6"] and group.attrs["alpha"] == 100.0
    with pytest.raises(KeyError, match="sub-03/VC not in"):
        store.get("sub-03", "VC", "fc6")
