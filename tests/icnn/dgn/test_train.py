"""Training: losses fall, the card round-trips, the cache skips work, resuming is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import icnn.dgn.train as train_module
from icnn.dgn import read_card, train_generator
from icnn.dgn.__main__ import main
from icnn.dgn.card import CHECKPOINT_FILE, STATE_FILE, STATS_FILE


def _state(folder):
    return torch.load(folder / STATE_FILE, weights_only=True)


def test_losses_go_down(tiny_config, tiny_encoder, image_dir, tmp_path):
    tiny_config["train"] |= {"steps": 80, "checkpoint_every": 80}
    card = read_card(train_generator(tiny_config, image_dir, tmp_path, progress=False))
    first, last = card["losses"]["first"], card["losses"]["last"]
    assert last["image"] < 0.75 * first["image"]
    assert last["feature"] < 0.75 * first["feature"]
    assert set(first) == {"image", "feature", "adversarial", "discriminator", "total"}


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
