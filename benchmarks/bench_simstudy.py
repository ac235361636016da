"""The paper's experiments on the simulated subjects: which of its effects the study reproduces.

Runs ``snakemake --cores N --configfile config/simulated_study.yaml`` (``--run``; its wall time
is written beside the summary) or reads the ``results/summary.tsv`` of an earlier run, then
prints each effect Shen et al. (2019) report, the simulated study's numbers and whether they
show it (:mod:`pipeline.effects`). The last line is machine-readable:

    simstudy_bench effnet_ident_decoded_natural=A pixel_ident_decoded_shapes=B
    effnet_ident_true_dgn=C effnet_ident_true_pixel=D effects_reproduced=K/N minutes=M

(A, B: the best condition, a layer set and variant reconstructing the three subjects' VC,
mean over them; C, D: from true features; M: the run's wall time, ``nan`` when unknown. An
effect counts only beyond the test images' noise: see :mod:`pipeline.effects`.)

Usage: python benchmarks/bench_simstudy.py [--run] [--cores N] [--results DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from pipeline.effects import EFFNET, PIXEL, Summary, paper_effects

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "config/simulated_study.yaml"
TIME_FILE = "simstudy_minutes.txt"


def run_study(cores: int, results: Path) -> float:
    """Run the study's workflow in the checkout; return (and record) its wall time in minutes."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(cores), "--configfile", CONFIG],
                   cwd=ROOT, check=True)  # fmt: skip
    minutes = (time.perf_counter() - start) / 60
    (results / TIME_FILE).write_text(f"{minutes:.1f}\n")
    return minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run the study first")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    args = parser.parse_args()
    if args.run:
        minutes = run_study(args.cores, args.results)
    else:
        timing = args.results / TIME_FILE
        minutes = float(timing.read_text()) if timing.is_file() else float("nan")
    summary = Summary.read(args.results / "summary.tsv")
    effects = paper_effects(summary)
    for k, effect in enumerate(effects, 1):
        print(f"{k}. [{'reproduced' if effect.reproduced else 'NOT reproduced'}] {effect.claim}\n"
              f"   {effect.evidence}")  # fmt: skip
    best = {(metric, image_set): summary.best_condition(metric, image_set)
            for metric, image_set in ((EFFNET, "natural"), (PIXEL, "artificial"))}  # fmt: skip
    for (metric, image_set), (layer_set, variant, score) in best.items():
        print(f"best {metric} of {image_set} from VC: {variant} ({layer_set}) {score:.3f}")
    decoded_natural, decoded_shapes = (score for *_, score in best.values())
    true = {v: summary.get(EFFNET, "natural", source="true", variant=v) for v in ("icnn_dgn_gd", "icnn_gd")}
    print(f"simstudy_bench effnet_ident_decoded_natural={decoded_natural.mean:.3f} "
          f"pixel_ident_decoded_shapes={decoded_shapes.mean:.3f} effnet_ident_true_dgn={true['icnn_dgn_gd'].mean:.3f} "
          f"effnet_ident_true_pixel={true['icnn_gd'].mean:.3f} "
          f"effects_reproduced={sum(e.reproduced for e in effects)}/{len(effects)} minutes={minutes:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
