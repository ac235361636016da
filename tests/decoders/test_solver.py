import numpy as np
import torch

from decoders.solver import fit_full, fit_selected, gather_submatrices, predict_chunked


def test_fit_selected_equals_per_unit_ridge(rng):
    X, Y = rng.standard_normal((30, 12)), rng.standard_normal((30, 5))
    xz, y = torch.from_numpy(X), torch.from_numpy(Y + 3.0)
    valid = torch.ones(12, dtype=torch.bool)
    stats = (torch.full((5,), 3.0, dtype=torch.float64), torch.ones(5, dtype=torch.float64))
    weights, index, bias = fit_selected(xz, y, stats, 2.0, 4, valid, chunk_size=2)
    for u in range(5):
        cols = index[u].numpy()
        xa = np.hstack([X[:, cols], np.ones((30, 1))])
        wb = np.linalg.solve(xa.T @ xa + 2.0 * np.eye(5), xa.T @ Y[:, u])
        np.testing.assert_allclose(weights[u].numpy(), wb[:4], rtol=1e-10)
        np.testing.assert_allclose(bias[u].item(), wb[4], rtol=1e-10)


def test_blocked_gather_equals_fancy_indexing(rng):
    gram = torch.from_numpy(rng.standard_normal((300, 300)))
    rows = torch.from_numpy(np.sort(rng.permuted(np.tile(np.arange(300), (4, 1)), axis=1)[:, :150], axis=1))
    expected = gram.numpy()[rows.numpy()[:, :, None], rows.numpy()[:, None, :]]
    # 150 rows: two full blocks of 64 and a partial one.
    np.testing.assert_array_equal(gather_submatrices(gram, rows, block=64).numpy(), expected)


def test_fit_full_primal_and_dual_agree(rng):
    for n, v in [(40, 10), (10, 40)]:
        X, Y = rng.standard_normal((n, v)), rng.standard_normal((n, 3))
        stats = (torch.zeros(3, dtype=torch.float64), torch.full((3,), 2.0, dtype=torch.float64))
        w, b = fit_full(torch.from_numpy(X), torch.from_numpy(2.0 * Y), stats, 1.5, chunk_size=2)
        xa = np.hstack([X, np.ones((n, 1))])
        wb = np.linalg.solve(xa.T @ xa + 1.5 * np.eye(v + 1), xa.T @ Y)
        np.testing.assert_allclose(w.numpy(), wb[:-1].T, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(b.numpy(), wb[-1], rtol=1e-8, atol=1e-12)


def test_predict_sparse_equals_dense(rng):
    xz = torch.from_numpy(rng.standard_normal((7, 10)))
    index = torch.from_numpy(
        np.sort(rng.permuted(np.tile(np.arange(10), (6, 1)), axis=1)[:, :3], axis=1)
    )
    weights, bias = (
        torch.from_numpy(rng.standard_normal((6, 3))),
        torch.from_numpy(rng.standard_normal(6)),
    )
    dense = torch.zeros((6, 10), dtype=torch.float64).scatter_(1, index, weights)
    expected = xz @ dense.T + bias
    torch.testing.assert_close(
        predict_chunked(xz, weights, bias, index.to(torch.int32), 4), expected
    )
    torch.testing.assert_close(predict_chunked(xz, dense, bias, None, 4), expected)


def test_image_rows_with_sample_index_equal_expanded_samples(rng):
    images = torch.from_numpy(rng.standard_normal((6, 4)) + 2.0)
    index = torch.from_numpy(rng.integers(0, 6, 30))
    stats = (images[index].mean(0), images[index].std(0))
    for v in (10, 40):  # primal and dual full fits
        xz = torch.from_numpy(rng.standard_normal((30, v)))
        w, b = fit_full(xz, images, stats, 1.5, 3, sample_index=index)
        w_ref, b_ref = fit_full(xz, images[index], stats, 1.5, 3)
        torch.testing.assert_close(w, w_ref, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(b, b_ref, rtol=1e-10, atol=1e-12)
    valid = torch.ones(40, dtype=torch.bool)
    got = fit_selected(xz, images, stats, 2.0, 5, valid, 3, sample_index=index)
    expected = fit_selected(xz, images[index], stats, 2.0, 5, valid, 3)
    torch.testing.assert_close(got[1], expected[1])
    for a, b in zip(got[::2], expected[::2], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
