"""Stage: the paper-style figures of a workflow run (PNG), written atomically."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.files import atomic_path  # noqa: E402
from icnn.display import to_display  # noqa: E402
from icnn.images import find_images, load_images  # noqa: E402
from icnn.metrics import METRICS  # noqa: E402
from icnn.video.io import write_clip  # noqa: E402
from pipeline.movie_sets import clips_of, frame_labels, load_movie_set  # noqa: E402
from pipeline.stages.evaluation import load_chunks  # noqa: E402
from pipeline.tables import read_tsv  # noqa: E402


def _save(fig: plt.Figure, output: str | os.PathLike) -> None:
    with atomic_path(output) as tmp, open(tmp, "wb") as f:
        fig.savefig(f, format=Path(output).suffix.lstrip(".") or "png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def reconstruction_grid(
    rows: Mapping[str, Sequence[str | os.PathLike]],
    image_dir: str | os.PathLike,
    output: str | os.PathLike,
    max_images: int = 10,
    fit: str = "center_crop",
) -> None:
    """Grid like the paper's: the true images on top, then one row per condition.

    ``rows`` maps a row label (e.g. 'icnn_dgn_gd, decoded') to its chunk folders; ``fit`` is how
    non-square true images become square.
    """
    loaded = {name: load_chunks(dirs) for name, dirs in rows.items()}
    labels = [str(v) for v in next(iter(loaded.values()))["labels"]][:max_images]
    size = next(iter(loaded.values()))["images"].shape[1]
    found = find_images(image_dir)
    grid = [("true image", load_images([found[k] for k in labels], size, fit).astype(np.uint8))]
    for name, data in loaded.items():
        order = {str(k): i for i, k in enumerate(data["labels"])}
        grid.append((name, to_display(data["images"][[order[k] for k in labels]])))
    image_grid(grid, output)


def image_grid(rows: Sequence[tuple[str, np.ndarray]], output: str | os.PathLike,
               columns: Sequence[str] = ()) -> None:  # fmt: skip
    """One labelled row of images (N, H, W, 3) uint8 per entry, written as a figure; ``columns``
    titles the columns (e.g. the image labels)."""
    n = max(len(images) for _, images in rows)
    fig, axes = plt.subplots(len(rows), n, squeeze=False, figsize=(1.3 * n + 1.5, 1.3 * len(rows)))
    for r, (name, images) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            if c < len(images):
                ax.imshow(images[c])
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    for c, title in enumerate(columns):
        axes[0, c].set_title(title, fontsize=7)
    _save(fig, output)


def identification_bars(summary: str | os.PathLike, output: str | os.PathLike) -> None:
    """Identification accuracy per variant, grouped by subject/ROI, with chance and SEM bars.

    One panel per identification metric of the summary (those with a chance level in
    :data:`icnn.metrics.METRICS`); reconstructions from true features form a reference group.
    """
    table = read_tsv(summary)
    metrics = [m for m in METRICS.values() if m.chance is not None and any(r["metric"] == m.name for r in table)]
    if not metrics:
        raise ValueError(f"{summary} holds no identification metric; add one of "
                         f"{[m.name for m in METRICS.values() if m.chance is not None]} to evaluation.metrics")  # fmt: skip
    fig, axes = plt.subplots(len(metrics), 1, squeeze=False, figsize=(6.0, 3.5 * len(metrics)))
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        _identification_panel(ax, [r for r in table if r["metric"] == metric.name], metric.label,
                              metric.chance)  # fmt: skip
    fig.tight_layout()
    _save(fig, output)


def _identification_panel(ax: plt.Axes, rows: Sequence[Mapping[str, str]], label: str, chance: float) -> None:
    several_sets = len({r["layer_set"] for r in rows}) > 1
    groups: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for r in rows:
        group = "true features" if r["source"] == "true" else f"{r['subject']} {r['roi']}"
        # One bar per variant and layer set, named by both when there are several sets.
        series = f"{r['variant']} ({r['layer_set']})" if several_sets else r["variant"]
        groups[f"{group} / {r['image_set']}"][series] = (float(r["mean"]), float(r["sem"]))
    variants = sorted({series for bars in groups.values() for series in bars})
    names = sorted(groups, key=lambda g: (g.startswith("true"), g))
    width = 0.8 / max(1, len(variants))
    for k, variant in enumerate(variants):
        values = [groups[g].get(variant, (np.nan, np.nan)) for g in names]
        x = np.arange(len(names)) + (k - (len(variants) - 1) / 2) * width
        ax.bar(x, [v[0] * 100 for v in values], width, yerr=[v[1] * 100 for v in values],
               label=variant, capsize=2)  # fmt: skip
    ax.axhline(chance * 100, color="k", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel(label, fontsize=8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # beside the bars, not on them


def decoding_accuracy(scores: str | os.PathLike, output: str | os.PathLike,
                      metric: str = "profile_correlation") -> None:  # fmt: skip
    """Decoding accuracy per layer (x) and ROI (lines), mean over subjects and image sets."""
    rows = [r for r in read_tsv(scores) if r["metric"] == metric]
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    by_roi: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_roi[r["roi"]][r["layer"]].append(float(r["mean"]))
    fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(layers) + 2), 3.2))
    for roi, values in sorted(by_roi.items()):
        ax.plot(range(len(layers)), [np.mean(values[layer]) for layer in layers], marker="o", label=roi)
    ax.axhline(0 if "correlation" in metric else 0.5, color="k", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(layers, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(metric.replace("_", " "))
    ax.legend(fontsize=7)
    _save(fig, output)


def loss_curves(rows: Mapping[str, Sequence[str | os.PathLike]], output: str | os.PathLike) -> None:
    """Loss per iteration (mean over images, each normalised by its initial loss) per condition."""
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, dirs in rows.items():
        history = load_chunks(dirs)["loss_history"]
        ax.plot(np.nanmean(history / history[:, :1], axis=0), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss / initial loss")
    ax.legend(fontsize=7)
    _save(fig, output)


def movie_figures(rows: Mapping[str, Sequence[str | os.PathLike]], movie_dir: str | os.PathLike,
                  png: str | os.PathLike, gif: str | os.PathLike, max_clips: int = 6,
                  fps: float = 3.0) -> None:  # fmt: skip
    """The clips of a movie set and their reconstructions: a contact sheet and an animation.

    ``rows`` maps a condition's label to its chunk folders. The PNG shows, for each clip (at
    most ``max_clips``), its true frames, then each condition's displayed frames, one row
    each, one column per frame. The GIF plays the clips side by side (true, then the
    conditions in order; one row per clip; shown at 2x).
    """
    loaded = {name: load_chunks(dirs) for name, dirs in rows.items()}
    first = next(iter(loaded.values()))
    clips, n_frames = clips_of([str(v) for v in first["labels"]])
    clips = clips[:max_clips]
    size = first["images"].shape[1]
    _, true = load_movie_set(movie_dir, size, clips)
    shown = [true]
    for data in loaded.values():
        order = {str(k): i for i, k in enumerate(data["labels"])}
        picked = data["images"][[order[label] for label in frame_labels(clips, n_frames)]]
        shown.append(to_display(picked).reshape(true.shape))
    names = ["true clip", *loaded]
    image_grid([(f"{clip}\n{name}", clip_rows[i]) for i, clip in enumerate(clips)
                for name, clip_rows in zip(names, shown, strict=True)], png,
               columns=[f"frame {t}" for t in range(n_frames)])  # fmt: skip
    side_by_side = np.concatenate(shown, axis=3)  # (B, T, S, (1 + R) * S, 3)
    tall = np.concatenate(list(side_by_side), axis=1)  # (T, B * S, (1 + R) * S, 3)
    write_clip(tall.repeat(2, axis=1).repeat(2, axis=2), gif, fps=fps)
