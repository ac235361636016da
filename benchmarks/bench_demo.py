"""Wall time, peak memory and quality of the embedded default, run from scratch (issue 6).

Runs what `make demo` runs (``snakemake --cores N`` on config/config.yaml, then the HTML
report) in an empty temporary folder holding only a copy of config/, so nothing of the
checkout's own results/ or data/ is reused or disturbed. Prints the pixel-correlation
identification of every variant from decoded and from true features; the last line is
machine-readable:

    demo_bench wall_s=T peak_rss_mb=M best_decoded_ident=D min_true_ident=R

Usage: python benchmarks/bench_demo.py [--cores N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(workdir: Path, cores: int) -> float:
    """Run the workflow and its report in `workdir`; return the wall time in seconds."""
    shutil.copytree(ROOT / "config", workdir / "config")
    snakemake = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                 "--directory", str(workdir)]  # fmt: skip
    start = time.perf_counter()
    subprocess.run([*snakemake, "--cores", str(cores)], check=True)
    subprocess.run([*snakemake, "--report", str(workdir / "results" / "report.html")], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores (make demo: 2)")
    parser.add_argument("--keep", type=Path, help="run in this new folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        seconds = run_demo(workdir, args.cores)
        with open(workdir / "results" / "summary.tsv") as f:
            rows = [r for r in csv.DictReader(f, delimiter="\t") if r["metric"] == "pixel_identification"]
    # ru_maxrss of children: the largest single job (snakemake itself included).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"embedded default, --cores {args.cores}: {seconds / 60:.1f} min wall, "
          f"largest process {peak_mb:.0f} MB")  # fmt: skip
    print(f"{'variant':<16}{'layer set':<11}{'decoded':>9}{'true':>8}  (pixel identification)")
    by_source: dict[str, dict[tuple[str, str], float]] = {"decoded": {}, "true": {}}
    for r in rows:
        by_source[r["source"]][(r["variant"], r["layer_set"])] = float(r["mean"])
    for key in sorted(set(by_source["decoded"]) | set(by_source["true"])):
        decoded, true = by_source["decoded"].get(key, float("nan")), by_source["true"].get(key, float("nan"))
        print(f"{key[0]:<16}{key[1]:<11}{decoded:>9.3f}{true:>8.3f}")
    print(f"demo_bench wall_s={seconds:.0f} peak_rss_mb={peak_mb:.0f} "
          f"best_decoded_ident={max(by_source['decoded'].values()):.3f} "
          f"min_true_ident={min(by_source['true'].values()):.3f}")


if __name__ == "__main__":
    main()
