"""The paper's effects checked on hand-made summary tables of the simulated study."""

from __future__ import annotations

import pytest

from pipeline.effects import AREAS, CHECKS, EFFNET, LAYER_SUBSETS, PIXEL, Summary, paper_effects

SUBJECTS = ("sub-01", "sub-02", "sub-03")


def _row(subject, roi, layer_set, variant, source, image_set, metric, mean):
    return {"subject": subject, "roi": roi, "layer_set": layer_set, "variant": variant, "source": source,
            "image_set": image_set, "metric": metric, "mean": str(mean), "sem": "0.01", "n": "7"}  # fmt: skip


def summary(dgn_natural: float = 0.8, hvc_shapes: float = 0.6) -> Summary:
    """A study where every effect holds (with the defaults); ``dgn_natural`` and ``hvc_shapes``
    can break the generator and the visual-area effects."""
    rows = []
    for s in SUBJECTS:
        for variant, natural in (("icnn_gd", 0.6), ("icnn_dgn_gd", dgn_natural)):
            for metric in (PIXEL, EFFNET):
                rows.append(_row(s, "VC", "all", variant, "decoded", "natural", metric, natural))
                rows.append(_row(s, "VC", "all", variant, "decoded", "artificial", metric, 0.9))
                rows.append(_row(s, "VC", "all", variant, "decoded", "letter", metric, 0.7))
    for k, ls in enumerate(LAYER_SUBSETS[:-1]):
        for image_set in ("natural", "artificial"):
            for metric in (PIXEL, EFFNET):
                rows.append(_row("sub-01", "VC", ls, "icnn_gd", "decoded", image_set, metric, 0.5 + 0.02 * k))
    for roi, score in zip(AREAS, (0.85, 0.8, 0.75, 0.7, hvc_shapes), strict=True):
        rows.append(_row("sub-01", roi, "per_roi", "icnn_gd", "decoded", "artificial", PIXEL, score))
    for variant, score in (("icnn_gd", 0.95), ("icnn_dgn_gd", 0.97)):
        rows.append(_row("-", "-", "all", variant, "true", "natural", EFFNET, score))
    return Summary(rows)


def test_every_effect_reproduced_in_a_study_that_shows_them():
    effects = paper_effects(summary())
    assert len(effects) == len(CHECKS) == 8
    assert all(e.reproduced for e in effects), [e for e in effects if not e.reproduced]
    assert effects[0].evidence == "EffNet identification, 3 subjects VC: with DGN 0.80, without 0.60"


def test_a_reversed_effect_is_not_reproduced():
    effects = {e.claim: e.reproduced for e in paper_effects(summary(dgn_natural=0.5, hvc_shapes=0.95))}
    failed = [claim for claim, ok in effects.items() if not ok]
    assert len(failed) == 2
    assert "generator prior" in failed[0] and "higher visual areas" in failed[1]


def test_best_variant_is_the_mean_over_subjects():
    assert summary().best_variant(EFFNET, "natural") == ("icnn_dgn_gd", pytest.approx(0.8))


def test_missing_condition_names_it():
    with pytest.raises(KeyError, match="'layer_set': 'per_roi'.*run config/simulated_study.yaml"):
        Summary([]).get(PIXEL, "artificial", subject="sub-01", roi="V1", layer_set="per_roi")
