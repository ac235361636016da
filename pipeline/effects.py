"""The effects Shen et al. (2019) report, checked on a summary table of the simulated study.

Each effect is stated as the paper reports it and tested on ``results/summary.tsv`` of
``config/simulated_study.yaml`` (layer sets ``all``, ``conv3-5``, ``per_roi``, ``conv1`` ... ``conv1-4``):
decoded features, test image sets ``natural`` (distinct photos), ``artificial`` (colour
shapes) and ``letter``. A mean over subjects is the mean of the subjects' means.

An effect counts as reproduced only beyond the noise of the few test images: a score is above
chance when its mean less :data:`Z` standard errors is above 0.5, one score exceeds another when
their difference is more than :data:`Z` standard errors of the difference (errors taken as
independent; the standard error of a mean over subjects from the subjects' errors).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

#: The paper's layer subsets, from conv1 only to all layers (Fig 4).
LAYER_SUBSETS = ("conv1", "conv1-2", "conv1-3", "conv1-4", "all")
#: The single visual areas of Fig 7 (VC is their union).
AREAS = ("V1", "V2", "V3", "V4", "HVC")
PIXEL, EFFNET = "pixel_identification", "effnet_identification"
#: Standard errors a difference must exceed (two-sided 95 %).
Z = 1.96
CHANCE = 0.5


@dataclass(frozen=True)
class Score:
    """A mean score and its standard error (over test images)."""

    mean: float
    sem: float

    def above_chance(self) -> bool:
        """Whether the mean is more than :data:`Z` standard errors above chance."""
        return self.mean - Z * self.sem > CHANCE

    def exceeds(self, other: Score) -> bool:
        """Whether this score is higher than `other` by more than :data:`Z` errors of the difference."""
        return self.mean - other.mean > Z * float(np.hypot(self.sem, other.sem))

    def __format__(self, spec: str) -> str:
        return f"{self.mean:{spec}} +- {self.sem:{spec}}"

    @staticmethod
    def average(scores: Iterable[Score]) -> Score:
        """The mean of several scores, with the error of a mean of independent scores."""
        scores = list(scores)
        return Score(float(np.mean([x.mean for x in scores])),
                     float(np.sqrt(np.sum([x.sem**2 for x in scores]))) / len(scores))  # fmt: skip


@dataclass(frozen=True)
class Effect:
    """One effect of the paper and whether the simulated study shows it.

    Attributes
    ----------
    claim : str
        The effect as the paper reports it (figure).
    evidence : str
        The simulated study's numbers.
    reproduced : bool
        Whether the numbers show the effect.
    """

    claim: str
    evidence: str
    reproduced: bool


class Summary:
    """Lookup of mean scores in a summary table (rows of ``results/summary.tsv``)."""

    def __init__(self, rows: Iterable[Mapping[str, str]]) -> None:
        self.rows = [dict(r) for r in rows]
        self._index = {
            (r["subject"], r["roi"], r["layer_set"], r["variant"], r["source"], r["image_set"], r["metric"]):
                (float(r["mean"]), float(r["sem"]))
            for r in self.rows
        }  # fmt: skip

    @classmethod
    def read(cls, path: str | os.PathLike) -> Summary:
        """Read a summary TSV."""
        with open(path, newline="") as f:
            return cls(csv.DictReader(f, delimiter="\t"))

    def subjects(self) -> list[str]:
        """Subjects with decoded-feature rows, sorted."""
        return sorted({r["subject"] for r in self.rows if r["source"] == "decoded"})

    def get(self, metric: str, image_set: str, *, source: str = "decoded", subject: str = "-",
            roi: str = "-", layer_set: str = "all", variant: str = "icnn_gd") -> Score:  # fmt: skip
        """Score of one condition; KeyError naming it when the table lacks it."""
        key = (subject, roi, layer_set, variant, source, image_set, metric)
        if key not in self._index:
            raise KeyError(f"summary has no row {dict(zip(_KEY_NAMES, key, strict=True))}; "
                           "run config/simulated_study.yaml (or a config with these conditions)")  # fmt: skip
        return Score(*self._index[key])

    def over_subjects(self, metric: str, image_set: str, **condition: str) -> Score:
        """Mean over subjects of decoded-feature scores from VC (unless ``roi`` is given)."""
        condition.setdefault("roi", "VC")
        return Score.average(self.get(metric, image_set, subject=s, **condition) for s in self.subjects())

    def best_condition(self, metric: str, image_set: str) -> tuple[str, str, Score]:
        """The (layer set, variant) with the highest mean over subjects, and its score.

        Candidates are the conditions that reconstruct ``image_set`` from every subject's VC
        (a layer set narrowed to one subject or ROI is an experiment of its own, not one).
        """
        covered: dict[tuple[str, str], set[str]] = {}
        for r in self.rows:
            if (r["source"], r["roi"], r["image_set"], r["metric"]) == ("decoded", "VC", image_set, metric):
                covered.setdefault((r["layer_set"], r["variant"]), set()).add(r["subject"])
        everyone = set(self.subjects())
        candidates = sorted(c for c, subjects in covered.items() if subjects == everyone)
        if not candidates:
            raise KeyError(f"summary has no {metric} of {image_set!r} from every subject's VC; "
                           "run config/simulated_study.yaml (or a config with these conditions)")  # fmt: skip
        scores = {c: self.over_subjects(metric, image_set, layer_set=c[0], variant=c[1]) for c in candidates}
        layer_set, variant = max(candidates, key=lambda c: scores[c].mean)
        return layer_set, variant, scores[layer_set, variant]


_KEY_NAMES = ("subject", "roi", "layer_set", "variant", "source", "image_set", "metric")


def _fmt(values: Mapping[str, Score]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in values.items())


def _dgn(s: Summary) -> Effect:
    gd, dgn = (s.over_subjects(EFFNET, "natural", variant=v) for v in ("icnn_gd", "icnn_dgn_gd"))
    return Effect("natural images: the generator prior makes reconstructions more recognisable (Figs 2-3)",
                  f"EffNet identification, 3 subjects VC: with DGN {dgn:.2f}, without {gd:.2f}", dgn.exceeds(gd))  # fmt: skip


def _shapes_vs_natural(s: Summary) -> Effect:
    shapes, natural = (s.over_subjects(PIXEL, t) for t in ("artificial", "natural"))
    return Effect("shapes are reconstructed more accurately in pixels than natural images (Figs 2, 6A)",
                  f"pixel identification, icnn_gd VC: shapes {shapes:.2f}, natural {natural:.2f}",
                  shapes.exceeds(natural))  # fmt: skip


def _layers(metric: str, image_set: str, what: str) -> Callable[[Summary], Effect]:
    def check(s: Summary) -> Effect:
        sub = s.subjects()[0]
        scores = {ls: s.get(metric, image_set, subject=sub, roi="VC", layer_set=ls) for ls in LAYER_SUBSETS}
        return Effect(f"more layers give better reconstructions than conv1 alone, {what} (Fig 4)",
                      f"{metric.split('_')[0]} identification, {sub} VC icnn_gd: {_fmt(scores)}",
                      scores["all"].exceeds(scores["conv1"]))  # fmt: skip

    return check


def _letters(s: Summary) -> Effect:
    scores = {sub: s.get(PIXEL, "letter", subject=sub, roi="VC") for sub in s.subjects()}
    return Effect("letters are reconstructed recognisably, from a decoder trained on natural images (Fig 6B)",
                  f"pixel identification, VC icnn_gd: {_fmt(scores)} (shown: > 0.6 in every subject)",
                  all(x.above_chance() for x in scores.values()))  # fmt: skip


def _areas_above_chance(s: Summary) -> Effect:
    sub = s.subjects()[0]
    scores = _area_scores(s, sub)
    return Effect("shapes are reconstructed above chance from every visual area (Fig 7)",
                  f"pixel identification, {sub} icnn_gd: {_fmt(scores)}",
                  all(x.above_chance() for x in scores.values()))  # fmt: skip


def _higher_areas(s: Summary) -> Effect:
    sub = s.subjects()[0]
    scores = _area_scores(s, sub)
    early = Score.average(scores[a] for a in ("V1", "V2", "V3"))
    return Effect("higher visual areas reconstruct shapes less accurately in pixels (Fig 7: V1-V3 > HVC)",
                  f"pixel identification, {sub}: V1-V3 mean {early:.2f}, HVC {scores['HVC']:.2f}",
                  early.exceeds(scores["HVC"]))  # fmt: skip


def _area_scores(s: Summary, sub: str) -> dict[str, Score]:
    scores = {a: s.get(PIXEL, "artificial", subject=sub, roi=a, layer_set="per_roi") for a in AREAS}
    scores["VC"] = s.get(PIXEL, "artificial", subject=sub, roi="VC")
    return scores


def _subjects(s: Summary) -> Effect:
    layer_set, variant, _ = s.best_condition(EFFNET, "natural")
    scores = {sub: s.get(EFFNET, "natural", subject=sub, roi="VC", layer_set=layer_set, variant=variant)
              for sub in s.subjects()}  # fmt: skip
    return Effect("natural images are reconstructed above chance in every subject (Figs 2-3, 3 subjects)",
                  f"EffNet identification, {variant} ({layer_set}) VC: {_fmt(scores)}",
                  all(x.above_chance() for x in scores.values()))  # fmt: skip


#: The checks, in the order the paper presents the effects.
CHECKS: tuple[Callable[[Summary], Effect], ...] = (
    _dgn,
    _subjects,
    _layers(EFFNET, "natural", "natural images"),
    _layers(PIXEL, "artificial", "shapes"),
    _shapes_vs_natural,
    _letters,
    _areas_above_chance,
    _higher_areas,
)


def paper_effects(summary: Summary) -> list[Effect]:
    """Check every effect of :data:`CHECKS` on a summary of the simulated study.

    Parameters
    ----------
    summary : Summary
        Scores of a run of ``config/simulated_study.yaml``.

    Returns
    -------
    list of Effect
        One per check, in the paper's order.
    """
    return [check(summary) for check in CHECKS]
