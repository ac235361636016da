"""Training: losses fall, the card round-trips, the cache skips work, resuming is exact."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch

import icnn.dgn.train as train_module
from icnn.dgn import read_card, train_generator
from icnn.dgn.__main__ import main
from icnn.dgn.card import CARD_FILE, CHECKPOINT_FILE, STATE_FILE, STATS_FILE


def _state(folder):
    return torch.load(folder / STATE_FILE, weights_only=True)


def test_losses_go_down(tiny_config, tiny_encoder, image_dir, tmp_path):
    tiny_config["train"] |= {"steps": 80, "checkpoint_every": 80}
    card = read_card(train_generator(tiny_config, image_dir, tmp_path, progress=False))
    first, last = card["losses"]["first"], card["losses"]["last"]
    assert last["image"] < 0.75 * first["image"]
    assert last["feature"] < 0.75 * first["feature"]
    assert set(first) == {"image", "feature", "adversarial", "discriminator", "total", "grad_norm"}


def test_card_round_trip_and_bounds(tiny_config, tiny_encoder, image_dir, tmp_path):
    card = read_card(train_generator(tiny_config, image_dir, tmp_path, progress=False))
    assert card["encoder"] == {"name": "tiny", "registered": True, "input_domain": "caffe"}
    latent = {k: v for k, v in card["latent"].items() if k != "scale_value"}
    assert latent == {"layer": "features.5", "pool": None, "shape": [16, 4, 4], "nonnegative": True,
                      "scale": "feature / its RMS over the training images"}  # fmt: skip
    assert card["image_size"] == 16 and card["crop"] == [16, 16] and card["seed"] == 0
    assert card["config"]["train"]["steps"] == 6 and card["data"]["n_images"] == 12
    assert not (tmp_path / CHECKPOINT_FILE).exists()  # removed once the generator is saved
    with np.load(tmp_path / STATS_FILE) as stats:
        np.testing.assert_allclose(stats["upper"], 3 * stats["sd"], rtol=1e-6)
        assert np.all(stats["lower"] == 0)
        assert card["bounds"]["upper_max"] == pytest.approx(float(stats["upper"].max()), rel=1e-5)
        # the latent is in units of its scale: RMS 1 over the training images (mean^2 + SD^2)
        assert float(np.mean(stats["mean"] ** 2 + stats["sd"] ** 2)) == pytest.approx(1.0, rel=1e-5)
        assert float(stats["scale"]) == pytest.approx(card["latent"]["scale_value"], rel=1e-5)
        assert float(stats["scale"]) > 1.5  # the raw tiny-encoder features are larger


def test_cache_hit_skips_work(tiny_config, tiny_encoder, image_dir, tmp_path, monkeypatch):
    path = train_generator(tiny_config, image_dir, tmp_path, progress=False)
    before = (tmp_path / STATE_FILE).stat().st_mtime_ns

    def fail(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(train_module, "_train_step", fail)
    monkeypatch.setattr(train_module, "latent_features", fail)
    assert train_generator(tiny_config, image_dir, tmp_path, progress=False) == path
    assert (tmp_path / STATE_FILE).stat().st_mtime_ns == before
    tiny_config["loss"]["adversarial"] = 0.0  # another configuration: trains again
    with pytest.raises(AssertionError, match="trained again"):
        train_generator(tiny_config, image_dir, tmp_path, progress=False)


def test_resume_matches_an_uninterrupted_run(tiny_config, tiny_encoder, image_dir, tmp_path,
                                             monkeypatch):  # fmt: skip
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    train_generator(tiny_config, image_dir, whole, progress=False)

    step = train_module._train_step
    calls = []

    def crash_at_step_3(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # after the checkpoint of step 2, before that of step 4
            raise KeyboardInterrupt
        return step(*args, **kwargs)

    monkeypatch.setattr(train_module, "_train_step", crash_at_step_3)
    with pytest.raises(KeyboardInterrupt):
        train_generator(tiny_config, image_dir, broken, progress=False)
    assert torch.load(broken / CHECKPOINT_FILE, weights_only=True)["step"] == 2
    calls.clear()
    monkeypatch.setattr(train_module, "_train_step", lambda *a, **k: calls.append(1) or step(*a, **k))
    train_generator(tiny_config, image_dir, broken, progress=False)
    assert len(calls) == 4  # steps 3..6 only
    a, b = _state(whole), _state(broken)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert read_card(whole)["losses"] == read_card(broken)["losses"]


def test_cli_train(tiny_config, tiny_encoder, image_dir, tmp_path, capsys):
    import yaml

    config = tmp_path / "dgn.yaml"
    config.write_text(yaml.safe_dump(tiny_config))
    main(["train", "--config", str(config), "--images", str(image_dir), "--out",
          str(tmp_path / "g"), "--quiet"])  # fmt: skip
    out = capsys.readouterr().out
    assert "generator card:" in out and "final losses: image" in out
    assert (tmp_path / "g" / STATE_FILE).is_file()


def _history(image: np.ndarray) -> dict[str, list[float]]:
    return {"image": list(image), "feature": list(2 * image), "adversarial": [0.7] * len(image)}


def test_check_divergence_catches_a_late_blow_up(tiny_config):
    from icnn.dgn import config_from_dict

    cfg = config_from_dict(tiny_config)
    steps = np.arange(240)
    converged = 1.0 / (1.0 + steps / 20)  # 1 -> 0.077, as a healthy run
    train_module.check_divergence(_history(converged), cfg)
    # The workflow's 2-thread run of the pool2 demo generator (lr 0.002, no clipping): image
    # loss 0.07-0.1 until step 195, then 0.59, 5.8, 418 at step 204, still ~40 at step 240.
    blown = converged.copy()
    blown[195:] = np.r_[0.59, 0.77, 0.85, 1.1, 1.3, 5.8, 2.1, 6.0, 418.0, np.full(36, 40.0)]
    with pytest.raises(train_module.TrainingDiverged, match=r"last 24 steps, [0-9.]+ times its lowest .*train.lr"):
        train_module.check_divergence(_history(blown), cfg)
    # a rise by 1.4 times passes (max_loss_rise 1.5), 1.6 times fails
    for factor, fails in ((1.4, False), (1.6, True)):
        tail = converged.copy()
        tail[-24:] = factor * converged[-48:-24].mean()
        with pytest.raises(train_module.TrainingDiverged) if fails else contextlib.nullcontext():
            train_module.check_divergence(_history(tail), cfg)
    with pytest.raises(train_module.TrainingDiverged, match="image loss is nan at step 3"):
        train_module.check_divergence(_history(np.array([1.0, 0.9, np.nan])), cfg)
    # under 20 steps a tenth is one noisy step: only finiteness is checked
    train_module.check_divergence(_history(np.r_[np.full(17, 0.5), 0.1, 3.0]), cfg)
    with pytest.raises(train_module.TrainingDiverged, match="30 times its lowest 0.3 .steps 19-20."):
        train_module.check_divergence(_history(np.r_[np.full(18, 0.5), 0.1, 0.1, 3.0, 3.0]), cfg)


def test_diverging_training_fails_and_writes_no_card(tiny_config, tiny_encoder, image_dir, tmp_path):
    # Adam at lr 0.5 without clipping: the generator's losses explode
    tiny_config["train"] |= {"steps": 40, "lr": 0.5, "clip_ratio": None, "checkpoint_every": 40}
    with pytest.raises(train_module.TrainingDiverged, match="No card was written"):
        train_generator(tiny_config, image_dir, tmp_path, progress=False)
    assert not (tmp_path / CARD_FILE).exists() and not (tmp_path / STATE_FILE).exists()


def test_clip_threshold_is_a_multiple_of_the_recent_median(tiny_config):
    from icnn.dgn import config_from_dict

    tiny_config["train"] |= {"clip_ratio": 2.0, "clip_window": 3}
    cfg = config_from_dict(tiny_config)
    assert train_module._clip_threshold({}, cfg) is None  # nothing to compare with yet
    assert train_module._clip_threshold({"grad_norm": [100.0, 1.0, 3.0, 2.0]}, cfg) == 4.0
    tiny_config["train"]["clip_ratio"] = None
    assert train_module._clip_threshold({"grad_norm": [1.0]}, config_from_dict(tiny_config)) is None


def test_learning_rates_decay_to_zero_along_a_cosine(tiny_config, tiny_encoder, image_dir, tmp_path):
    from icnn.dgn import config_from_dict

    cfg = config_from_dict(tiny_config)
    models = train_module._build_models(cfg, (16, 4, 4), 16, tiny_encoder.input_domain, "cpu")
    lrs = []
    for step in (0, 3, 6):
        train_module._set_lr(models, cfg, step)
        lrs.append((models.opt_g.param_groups[0]["lr"], models.opt_d.param_groups[0]["lr"]))
    assert lrs[0] == pytest.approx((0.003, 2e-4)) and lrs[1] == pytest.approx((0.0015, 1e-4))
    assert lrs[2] == pytest.approx((0.0, 0.0), abs=1e-12)
