"""The generator card: a small YAML file that says what a trained generator is and how to use it.

A trained generator is a folder: ``generator.pt`` (state dict), ``latent_stats.npz`` (per-unit
statistics and bounds) and ``generator.yaml`` (this card), written last, so a folder with a
card is complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common.files import write_text

CARD_FILE = "generator.yaml"
STATE_FILE = "generator.pt"
STATS_FILE = "latent_stats.npz"
CHECKPOINT_FILE = "checkpoint.pt"
LATENT_CACHE_FILE = "latents.pt"
#: Version of the card layout; cards of another version are refused.
CARD_FORMAT = "icnn.dgn/2"  # 2: the latent is the feature over its per-channel scale


def card_path(path: str | Path) -> Path:
    """The card file given itself or its folder."""
    path = Path(path)
    return path / CARD_FILE if path.is_dir() else path


def read_card(path: str | Path) -> dict[str, Any]:
    """Read a card (file or folder); ``folder`` is set to the folder holding it.

    Raises
    ------
    FileNotFoundError
        When there is no card, with the command that makes one.
    ValueError
        When the file is not a card of this format.
    """
    path = card_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no generator card at {path}: train one with `python -m icnn.dgn "
                                "train --config config/dgn.yaml --images data/demo/images --out "
                                "<folder>`")  # fmt: skip
    card = yaml.safe_load(path.read_text()) or {}
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise ValueError(f"{path} is not a generator card of format {CARD_FORMAT!r}")
    card["folder"] = str(path.parent)
    return card


def write_card(card: dict[str, Any], out_dir: str | Path) -> Path:
    """Write ``card`` atomically as ``out_dir/generator.yaml``; returns its path."""
    path = Path(out_dir) / CARD_FILE
    body = {"format": CARD_FORMAT, **{k: v for k, v in card.items() if k not in ("format", "folder")}}
    write_text(path, yaml.safe_dump(body, sort_keys=False))
    return path
