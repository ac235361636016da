import h5py
import numpy as np
import pytest
from fastl2lir import FastL2LiR  # a test dependency: an ImportError here must fail the run
from sklearn.base import clone

from decoders.regression import FastL2Decoder
from decoders.shards import read_unit_stats

# fastl2lir 0.11 warns a lot under NumPy 2 (np.matrix, scalar conversion); not our concern.
pytestmark = pytest.mark.filterwarnings("ignore:::fastl2lir")


def fastl2lir_predict(X, Y, X_test, alpha, n_feat):
    """The authors' protocol: z-score X and Y by training stats (ddof 1), fit, de-normalise."""
    xm, xs = X.mean(0), X.std(0, ddof=1)
    xs[xs == 0] = 1.0
    Y2 = Y.reshape(len(Y), -1)
    ym, ys = Y2.mean(0), Y2.std(0, ddof=1)
    model = FastL2LiR()
    model.fit((X - xm) / xs, (Y2 - ym) / ys, alpha=alpha, n_feat=n_feat)
    return (model.predict((X_test - xm) / xs) * ys + ym).reshape((len(X_test),) + Y.shape[1:])


def rel_diff(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


@pytest.mark.parametrize("n_voxels, n_feat", [(10, 10), (None, 0)])
def test_agrees_with_fastl2lir_float64(regression_data, n_voxels, n_feat):
    X, Y, X_test = regression_data
    expected = fastl2lir_predict(X, Y, X_test, alpha=100.0, n_feat=n_feat)
    model = FastL2Decoder(alpha=100.0, n_voxels=n_voxels, dtype="float64", chunk_size=5).fit(X, Y)
    got = model.predict(X_test)
    assert got.shape == (9, 3, 2, 2)
    assert rel_diff(got, expected) < 1e-6


def test_agrees_with_fastl2lir_dual_form(rng):
    X, Y = rng.standard_normal((20, 50)), rng.standard_normal((20, 4))
    X_test = rng.standard_normal((3, 50))
    expected = fastl2lir_predict(X, Y, X_test, alpha=10.0, n_feat=0)
    got = FastL2Decoder(alpha=10.0, n_voxels=None, dtype="float64").fit(X, Y).predict(X_test)
    assert rel_diff(got, expected) < 1e-6


def test_selection_picks_top_correlated_voxels(regression_data):
    X, Y, _ = regression_data
    model = FastL2Decoder(n_voxels=5, dtype="float64").fit(X, Y)
    Y2 = Y.reshape(len(Y), -1)
    r = np.corrcoef(X.T[np.arange(40) != 7], Y2.T)[:39, 39:]
    r = np.insert(r, 7, 0.0, axis=0)  # the constant voxel is never chosen on merit
    expected = np.sort(np.argsort(-np.abs(r), axis=0)[:5].T, axis=1)
    np.testing.assert_array_equal(model.voxel_index_, expected)
    assert model.weights_.shape == (12, 5) and model.bias_.shape == (12,)


def test_float32_close_to_float64_and_chunking_invariant(regression_data):
    X, Y, X_test = regression_data
    ref = FastL2Decoder(n_voxels=10, dtype="float64", chunk_size=1000).fit(X, Y).predict(X_test)
    f32 = FastL2Decoder(n_voxels=10, chunk_size=3).fit(X, Y).predict(X_test)
    assert f32.dtype == np.float32
    assert rel_diff(f32, ref) < 1e-4


def test_sklearn_api(regression_data):
    X, Y, _ = regression_data
    model = FastL2Decoder(alpha=3.0, n_voxels=8)
    assert model.get_params()["alpha"] == 3.0
    copy = clone(model).set_params(alpha=5.0)
    assert copy.alpha == 5.0 and not hasattr(copy, "weights_")
    with pytest.raises(RuntimeError, match="not fitted"):
        copy.predict(X)


def test_save_load_roundtrip(tmp_path, regression_data):
    X, Y, X_test = regression_data
    for n_voxels in (6, None):
        model = FastL2Decoder(n_voxels=n_voxels, dtype="float64").fit(X, Y)
        model.save(tmp_path / "model.h5")
        loaded = FastL2Decoder.load(tmp_path / "model.h5")
        assert loaded.get_params() == model.get_params()
        np.testing.assert_allclose(loaded.predict(X_test), model.predict(X_test), rtol=1e-12)


def test_unit_stats_read_without_the_weights(tmp_path, regression_data):
    X, Y, _ = regression_data
    model = FastL2Decoder(n_voxels=6, dtype="float64").fit(X, Y)
    model.save(tmp_path / "model.h5")
    y_mean, y_std = read_unit_stats([tmp_path / "model.h5"])
    np.testing.assert_array_equal(y_mean, model.y_mean_)
    np.testing.assert_array_equal(y_std, model.y_std_)
    assert y_mean.shape == (3, 2, 2)
    with h5py.File(tmp_path / "other.h5", "w"):
        pass
    with pytest.raises(ValueError, match="is not a FastL2Decoder file"):
        read_unit_stats([tmp_path / "other.h5"])


def test_predict_average_per_image_and_per_trial(regression_data):
    X, Y, X_test = regression_data
    model = FastL2Decoder(n_voxels=6, dtype="float64").fit(X, Y)
    labels = ["b", "a", "b", "c", "a", "b", "c", "c", "a"]
    avg, unique = model.predict_average(X_test, labels)
    assert unique == ["b", "a", "c"]
    # The model is linear: predicting the mean trial equals averaging trial predictions.
    np.testing.assert_allclose(avg[0], model.predict(X_test)[[0, 2, 5]].mean(0), rtol=1e-10)
    trials, same = model.predict_average(X_test, labels, per_trial=True)
    assert trials.shape == (9, 3, 2, 2) and same == labels


def test_errors(regression_data):
    X, Y, _ = regression_data
    with pytest.raises(ValueError, match="60 samples but Y has 59"):
        FastL2Decoder().fit(X, Y[:-1])
    with pytest.warns(UserWarning, match="exceeds the 40 voxels"):
        model = FastL2Decoder(n_voxels=500).fit(X, Y)
    assert model.voxel_index_ is None
    with pytest.raises(ValueError, match=r"\(n_samples, 40\)"):
        model.predict(X[:, :30])
    with pytest.raises(ValueError, match="dtype"):
        FastL2Decoder(dtype="float16").fit(X, Y)


def test_non_finite_data_is_refused_with_counts(regression_data):
    X, Y, _ = regression_data
    X_bad, Y_bad = X.copy(), Y.copy()
    X_bad[[1, 2], 3] = [np.nan, np.inf]
    Y_bad[0, 1, 0, 0] = -np.inf
    with pytest.raises(ValueError, match=r"X \(voxel patterns\) has 2 NaN or infinite entries"):
        FastL2Decoder().fit(X_bad, Y)
    with pytest.raises(ValueError, match=r"Y \(training features\) has 1 NaN or infinite"):
        FastL2Decoder().fit(X, Y_bad)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha": -1.0}, "alpha must be a finite number >= 0"),
        ({"alpha": float("nan")}, "alpha must be a finite number >= 0"),
        ({"n_voxels": 0}, "n_voxels must be an integer >= 1, or None"),
        ({"n_voxels": 2.5}, "n_voxels must be an integer >= 1, or None"),
        ({"chunk_size": 0}, "chunk_size must be an integer >= 1"),
    ],
)
def test_invalid_hyperparameters_are_refused(regression_data, params, message):
    X, Y, _ = regression_data
    with pytest.raises(ValueError, match=message):
        FastL2Decoder(**params).fit(X, Y)


def test_truncated_model_file_names_itself(tmp_path, regression_data):
    X, Y, _ = regression_data
    FastL2Decoder(n_voxels=6).fit(X, Y).save(tmp_path / "model.h5")
    data = (tmp_path / "model.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match=r"decoder model .*cut\.h5 cannot be read .*truncated or damaged"):
        FastL2Decoder.load(tmp_path / "cut.h5")
