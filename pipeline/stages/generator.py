"""Stage: train (or reuse) the DGN image prior at the workflow's image size."""

from __future__ import annotations

import dataclasses
import os

import torch

from icnn.dgn import load_config, train_generator


def train_workflow_generator(config: str | os.PathLike, image_dir: str | os.PathLike, image_size: int,
                             out_dir: str | os.PathLike, device: str = "cpu", threads: int = 1) -> None:  # fmt: skip
    """Train the generator of ``config`` (icnn.dgn format) on ``image_dir`` at ``image_size``
    with ``threads`` torch threads (the job's cores).

    The workflow's encoder image size overrides the config's, so that the generator's output
    matches the reconstructions it serves. Training that diverges raises
    :class:`icnn.dgn.TrainingDiverged` and writes no card, so the job fails.
    """
    torch.set_num_threads(threads)
    settings = dataclasses.replace(load_config(config), image_size=image_size)
    train_generator(settings, image_dir, out_dir, device=device)
