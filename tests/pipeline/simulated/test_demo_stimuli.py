"""Stimulus sets: counts, files, provenance, no train/test leakage, artificial images."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from pipeline.simulated import config_from_dict
from pipeline.simulated.artificial import COLOURS, SHAPES
from pipeline.simulated.photos import CATALOGUE, load_photo
from pipeline.simulated.stimuli import build_stimuli, load_set, read_index

SPLITS = ("training", "test", "validation")


@pytest.fixture(scope="module")
def index(tiny_dataset):
    return read_index(tiny_dataset / "images")


def test_every_shipped_photo_loads():
    for name in CATALOGUE:
        photo = load_photo(name)
        assert photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3
        assert min(photo.shape[:2]) >= 170, name


def test_counts_ids_and_files(index, tiny_dataset, tiny_config):
    counts = {
        s: sum(r["set"] == s for r in index) for s in (*SPLITS, "artificial", "letter")
    }
    assert counts == {"training": 64, "test": 10, "validation": 12, "artificial": 40, "letter": 10}
    ids = [r["id"] for r in index]
    assert len(set(ids)) == len(ids)
    for row in index:
        assert (tiny_dataset / "images" / row["set"] / f"{row['id']}.png").is_file()
        assert row["licence"]
    pngs = sorted(p.stem for p in (tiny_dataset / "images").glob("*/*.png"))
    assert pngs == sorted(ids)
    _, images = load_set(tiny_dataset / "images", "test")
    size = tiny_config.stimuli.image_size
    assert images.shape == (10, size, size, 3)


def test_licence_manifest_covers_every_source(index, tiny_dataset):
    with open(tiny_dataset / "images" / "sources.tsv", newline="") as f:
        manifest = {row["source"]: row for row in csv.DictReader(f, delimiter="\t")}
    for row in index:
        assert manifest[row["source"]]["licence"] == row["licence"]
    assert manifest["flower"]["licence"] == "CC BY 2.0"


def test_training_test_and_validation_photos_are_disjoint(index, tiny_dataset, tiny_config):
    sources = {s: {r["source"] for r in index if r["set"] == s} for s in SPLITS}
    assert sources["test"] == set(tiny_config.stimuli.test_photos)
    assert sources["validation"] == set(tiny_config.stimuli.validation_photos)
    photos = set(CATALOGUE) - sources["test"] - sources["validation"]
    assert sources["training"] == photos | {"deadleaves"}
    # Objects too, not only textures, in training.
    assert {"clock", "horse"} <= sources["training"]
    # No test image is a (near) copy of a training image either.
    _, train = load_set(tiny_dataset / "images", "training")
    _, test = load_set(tiny_dataset / "images", "test")
    a = train.reshape(len(train), -1).astype(float)
    b = test.reshape(len(test), -1).astype(float)
    a = (a - a.mean(1, keepdims=True)) / a.std(1, keepdims=True)
    b = (b - b.mean(1, keepdims=True)) / b.std(1, keepdims=True)
    assert (b @ a.T / a.shape[1]).max() < 0.9


def test_held_out_photos_are_shown_whole_first(index):
    # Crops cut from the validation photos in turn, the first of each the centred square, unflipped.
    rows = [r for r in index if r["set"] == "validation"]
    assert [r["id"] for r in rows[:5]] == [
        *(f"{p}-001" for p in ("astronaut", "flower", "coins", "gravel")), "astronaut-002"
    ]
    h, w = load_photo("astronaut").shape[:2]
    assert rows[0]["detail"] == f"x0={(w - h) // 2} y0=0 side={h} flip=0"


def test_crops_of_a_set_are_distinct(tiny_dataset):
    for set_name in SPLITS:
        _, images = load_set(tiny_dataset / "images", set_name)
        flat = images.reshape(len(images), -1)
        assert len(np.unique(flat, axis=0)) == len(images)


def test_training_crop_scales_apply_to_training_only():
    cfg = config_from_dict(
        {"stimuli": {"image_size": 16, "n_train": 8, "n_validation": 8, "train_crop_scales": [0.25],
                     "n_dead_leaves": 0}}
    ).stimuli
    sides = {"training": set(), "validation": set()}
    for stim in build_stimuli(cfg):
        if stim.set in sides:
            h, w = load_photo(stim.source).shape[:2]
            sides[stim.set].add(int(stim.detail.split("side=")[1].split()[0]) / min(h, w))
    assert np.allclose(sorted(sides["training"]), 0.25, atol=0.01)
    assert {round(s, 2) for s in sides["validation"]} <= {1.0, 0.75, 0.5} and 1.0 in {
        round(s, 2) for s in sides["validation"]
    }


def test_artificial_sets():
    stimuli = build_stimuli(
        config_from_dict({"stimuli": {"image_size": 32, "n_train": 2, "n_test": 1}}).stimuli
    )
    shapes = {s.id: s.image for s in stimuli if s.set == "artificial"}
    letters = {s.id: s.image for s in stimuli if s.set == "letter"}
    assert sorted(shapes) == sorted(f"shape-{s}-{c}" for s in SHAPES for c in COLOURS)
    assert sorted(letters) == sorted(f"letter-{ch}" for ch in "ACEINORSTU")
    red_square = shapes["shape-square-red"]
    assert tuple(red_square[0, 0]) == (128, 128, 128)  # grey background
    assert tuple(red_square[16, 16]) == (255, 0, 0)  # red centre
    # Shapes differ from each other, and letters are dark marks on the grey background.
    assert len({img.tobytes() for img in shapes.values()}) == 40
    for img in letters.values():
        assert img.min() < 40 and img.shape == (32, 32, 3)


def test_image_size_is_configurable():
    stimuli = build_stimuli(
        config_from_dict({"stimuli": {"image_size": 24, "n_train": 3, "n_test": 2}}).stimuli
    )
    assert {s.image.shape for s in stimuli} == {(24, 24, 3)}


def test_too_many_crops_is_a_clear_error():
    cfg = config_from_dict(
        {"stimuli": {"n_train": 2, "n_test": 200, "test_photos": ["horse"], "crop_scales": [1.0]}}
    )
    with pytest.raises(ValueError, match="cannot cut 200 distinct crops .* 'horse'.* stimuli.crop_scales"):
        build_stimuli(cfg.stimuli)
