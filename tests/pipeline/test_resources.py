from types import SimpleNamespace

import numpy as np
import pytest

from decoders.bdata import BData
from pipeline.resources import (
    STUDY,
    Sizes,
    WorkflowResources,
    auto_micro_batch,
    decode_mb,
    reconstruct_mb,
    reconstruct_minutes,
    session_sizes,
    simulation_threads,
    train_decoder_mb,
    train_decoder_minutes,
)
from pipeline.simulated.config import config_from_dict


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


#: VGG19's 19 layers at 224 px: units of one image.
VGG19_224 = 14_861_288


def test_auto_micro_batch_is_the_largest_pass_within_the_budget():
    need = [reconstruct_mb(p, 10, VGG19_224, VGG19_224, False) for p in range(1, 11)]
    assert all(a < b for a, b in zip(need, need[1:], strict=False))
    assert auto_micro_batch(need[3], 10, VGG19_224, VGG19_224, False) == 4
    assert auto_micro_batch(need[3] - 1, 10, VGG19_224, VGG19_224, False) == 3
    assert auto_micro_batch(10**7, 10, VGG19_224, VGG19_224, False) == 10  # at most the job's images
    # The generator's weights and activations leave room for fewer images.
    assert auto_micro_batch(need[3], 10, VGG19_224, VGG19_224, True) < 4
    with pytest.raises(ValueError, match="memory_budget_mb 1000 is too small for micro_batch auto: one image "
                                         "per pass of a 10-image job needs"):
        auto_micro_batch(1000, 10, VGG19_224, VGG19_224, False)


def test_reconstruction_requests_follow_the_pass_the_job_runs():
    shapes = {"conv": (8, 112, 112), "fc": (100,)}
    total = 8 * 112 * 112 + 100
    layer_sets = {"all": {"layers": ["conv", "fc"]}, "fc": {"layers": ["fc"]}}
    rec = {"images_per_job": 6, "micro_batch": "auto", "memory_budget_mb": reconstruct_mb(3, 6, total, total, False)}
    config = {"decoder": {}, "encoder": {"image_size": 224}, "reconstruction": rec}
    res = WorkflowResources(config, shapes, lambda image_set: 6)
    assert res.micro_batch(["conv", "fc"], False) == 3
    assert res.micro_batch(["fc"], False) > 3  # fewer targets to hold
    mem_mb, _ = res.reconstruct(lambda s: layer_sets, lambda variant: {}, lambda variant: variant.startswith("icnn_dgn"))
    wc = SimpleNamespace(layer_set="all", variant="icnn_gd", image_set="test")
    assert mem_mb(wc, 1, 1) == reconstruct_mb(3, 6, total, total, False) == rec["memory_budget_mb"]
    with pytest.raises(ValueError, match="too small for micro_batch auto"):  # the generator does not fit
        mem_mb(SimpleNamespace(layer_set="all", variant="icnn_dgn_gd", image_set="test"), 1, 1)
    for fixed, per_pass in ((2, 2), (None, 6)):  # a number as given; null: the whole job per pass
        res = WorkflowResources({**config, "reconstruction": {**rec, "micro_batch": fixed}}, shapes, lambda s: 6)
        assert res.micro_batch(["conv", "fc"], False) == fixed
        assert res.reconstruct(lambda s: layer_sets, lambda v: {}, lambda v: False)[0](wc, 1, 1) == \
            reconstruct_mb(per_pass, 6, total, total, False)


def test_movie_requests_count_the_frames_of_a_job():
    # 5 clips of 4 frames, 2 clips per job: 8 frames in one pass, whatever micro_batch says.
    shapes = {"conv": (8, 56, 56)}
    rec = {"images_per_job": 6, "micro_batch": 1}
    config = {"decoder": {}, "encoder": {"image_size": 112}, "reconstruction": rec,
              "movie_sets": {"clips": "x"}, "movie": {"clips_per_job": 2, "delays_s": [5, 6]}}
    res = WorkflowResources(config, shapes, lambda s: 20, lambda s: 5)
    mem_mb, runtime = res.reconstruct(lambda s: {"mid": {"layers": ["conv"]}}, lambda v: {"n_iter": 500},
                                      lambda v: False)  # fmt: skip
    wc = SimpleNamespace(layer_set="mid", variant="icnn_gd", image_set="clips")
    assert mem_mb(wc, 1, 1) == reconstruct_mb(8, 8, 8 * 56 * 56, 8 * 56 * 56, False)
    assert runtime(wc, 1, 1) == reconstruct_minutes(8, 500, 112, 1)
    assert runtime(SimpleNamespace(layer_set="mid", variant="icnn_gd", image_set="images"), 1, 1) == \
        reconstruct_minutes(6, 500, 112, 1)
    # A decoder of a movie session sees its voxels at every delay.
    assert res.delayed(Sizes(100, 50, 20), "clips") == Sizes(100, 100, 20)
    assert res.delayed(Sizes(100, 50, 20), "images") == Sizes(100, 50, 20)


def test_decode_holds_one_layer_not_all():
    test = Sizes(samples=1750, voxels=11_700, images=50)
    conv1 = 64 * 224 * 224
    one = decode_mb(test, {"conv1_1": conv1}, 500)
    # A second layer as large adds nothing: it is decoded after the first was written.
    assert decode_mb(test, {"conv1_1": conv1, "conv1_2": conv1, "fc6": 4096}, 500) == one
    assert decode_mb(test, {"conv1_1": 2 * conv1}, 500) > one + 2 * 50 * conv1 * 4 / 2**20


def test_simulated_builds_take_two_threads_only_for_the_network():
    assert simulation_threads(config_from_dict({})) == 1
    assert simulation_threads(config_from_dict({"model": {"dnn_channels": {"input_size": 64}}})) == 2
