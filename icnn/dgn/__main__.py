"""Command line: train a DGN prior (cached; resumes an interrupted run).

Usage: python -m icnn.dgn train --config config/dgn.yaml --images data/demo/images
       --out results/dgn/demo [--profile gpu] [--device cpu] [--no-resume] [--quiet]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from icnn.dgn.card import read_card
from icnn.dgn.config import load_config
from icnn.dgn.train import train_generator


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the sub-command; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m icnn.dgn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a generator (or reuse the cached one)")
    train.add_argument("--config", type=Path, default=None, help="YAML config (default: built-in)")
    train.add_argument("--profile", default=None, help="overlay of the config's 'profiles'")
    train.add_argument("--images", type=Path, default=Path("data/demo/images"))
    train.add_argument("--out", type=Path, default=Path("results/dgn/demo"))
    train.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    train.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    config = load_config(args.config, args.profile)
    started = time.perf_counter()
    path = train_generator(config, args.images, args.out, device=args.device,
                           progress=not args.quiet, resume=not args.no_resume)  # fmt: skip
    card = read_card(path)
    training, last = card["training"], card["losses"]["last"]
    print(f"generator card: {path} (this run {time.perf_counter() - started:.1f} s; training "
          f"{training['latent_seconds'] + training['train_seconds']:.1f} s)")  # fmt: skip
    print("final losses: " + ", ".join(f"{k} {v:.4g}" for k, v in last.items()))


if __name__ == "__main__":
    main()
