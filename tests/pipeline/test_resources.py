from types import SimpleNamespace

import numpy as np

from decoders.bdata import BData
from pipeline.resources import (
    STUDY,
    Sizes,
    WorkflowResources,
    session_sizes,
    train_decoder_mb,
    train_decoder_minutes,
)


def test_decoder_memory_is_bounded_in_units_and_runtime_grows_with_them():
    one_shard = train_decoder_mb(STUDY, 262_144, 500, 256, 2)
    # The study's decoder job fits a 6 GB node however many units it fits.
    assert 2_000 < one_shard < 6_000
    assert train_decoder_mb(STUDY, 3_211_264, 500, 256, 2) == one_shard
    small = train_decoder_mb(Sizes(240, 1000, 48), 5000, 100, 256, 2)
    assert small < 1_000
    minutes = [train_decoder_minutes(STUDY, n, 500, 2) for n in (10_000, 100_000, 1_000_000)]
    assert minutes[0] < minutes[1] < minutes[2]
    assert 8 < minutes[2] / minutes[1] <= 10.5  # per-unit work dominates big shards


def test_callables_read_sizes_from_the_session_file(tmp_path):
    bd = BData()
    bd.add(np.zeros((30, 50)), "VoxelData")
    bd.save(tmp_path / "train.h5")
    assert session_sizes(tmp_path / "train.h5", 6, STUDY) == Sizes(30, 50, 6)
    assert session_sizes(tmp_path / "missing.h5", 6, STUDY) == STUDY
    config = {"decoder": {"n_voxels": 20, "chunk_size": 64, "shard_units": 1000},
              "encoder": {"image_size": 32}, "reconstruction": {},
              "subjects": {"s": {"train": {"image_set": "training"}}}}  # fmt: skip
    res = WorkflowResources(config, {"conv": (4, 10, 30), "fc": (10,)}, lambda image_set: 6)
    assert res.shard_ranges("conv") == [(0, 600), (600, 1200)]  # whole channels of 300 units
    mem_mb, runtime = res.train_decoder()
    wc = SimpleNamespace(subject="s", layer="conv", shard="1")
    files = SimpleNamespace(fmri=str(tmp_path / "train.h5"))
    assert mem_mb(wc, files, 2, 1) == train_decoder_mb(Sizes(30, 50, 6), 600, 20, 64, 2)
    assert mem_mb(wc, files, 2, 2) == 2 * mem_mb(wc, files, 2, 1)  # retries ask for more
    assert runtime(wc, files, 2, 1) == 5  # the minimum
