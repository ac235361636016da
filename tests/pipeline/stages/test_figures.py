"""Identification figure: one panel per identification metric that the summary holds."""

from __future__ import annotations

import pytest
from PIL import Image

from pipeline.stages.figures import identification_bars
from pipeline.tables import write_tsv

HEADER = ["subject", "roi", "layer_set", "variant", "source", "image_set", "metric", "mean", "sem", "n"]


def summary(path, metrics):
    rows = [[s, "VC", "all", v, src, "natural", m, "0.8", "0.05", "10"]
            for m in metrics for v in ("icnn_gd", "icnn_lbfgs")
            for s, src in (("sub-01", "decoded"), ("-", "true"))]  # fmt: skip
    write_tsv(path, HEADER, rows)
    return path


def test_one_panel_per_identification_metric(tmp_path):
    one = tmp_path / "one.png"
    identification_bars(summary(tmp_path / "a.tsv", ["effnet_identification", "ssim"]), one)
    two = tmp_path / "two.png"
    identification_bars(summary(tmp_path / "b.tsv", ["pixel_identification", "effnet_identification"]), two)
    h1, h2 = Image.open(one).size[1], Image.open(two).size[1]
    assert 1.7 < h2 / h1 < 2.3


def test_summary_without_identification_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no identification metric"):
        identification_bars(summary(tmp_path / "a.tsv", ["ssim"]), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
