"""Command line: ``python -m pipeline.simulated [--config FILE] [--out DIR] [--only PART] [--force] [--report]``."""

from __future__ import annotations

import argparse
import sys

from pipeline.simulated.build import PARTS, build_dataset, session_file
from pipeline.simulated.checks import reliability_table
from pipeline.simulated.config import load_config


def main(argv: list[str] | None = None) -> int:
    """Build the demo dataset; print what was built and, on request, reliability checks.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on a bad configuration.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.simulated",
        description="Write the embedded demo dataset (stimulus images and simulated subjects' BData files).",
    )
    parser.add_argument(
        "--config", help="YAML config (see config/demo_data.yaml); default: built-in demo"
    )
    parser.add_argument("--out", help="output folder (overrides out_dir of the config)")
    parser.add_argument(
        "--only",
        choices=PARTS,
        help="build one part: the images and image sessions, or the clips and movie sessions "
        "(default: both; the other part's files are left as they are)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    parser.add_argument(
        "--report", action="store_true", help="print split-half reliability per ROI"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.report and args.only == "movies":
        parser.error("--report reads the image sessions: drop --only movies, or --report")
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    parts = (args.only,) if args.only else PARTS
    result = build_dataset(
        config, out_dir=args.out, force=args.force, progress=not args.quiet, parts=parts
    )
    print(
        f"demo dataset in {result.out_dir}: built {result.built or 'nothing'}, "
        f"up to date {result.skipped or 'nothing'} ({result.seconds:.1f} s)"
    )
    if args.report:
        print(
            "median split-half r over signal voxels, measured / expected from the true SNRs"
            " (the expectation assumes the training images' response variance)"
        )
        for sub in config.subjects:
            for set_name in ("training", "test"):
                path = session_file(result.out_dir, sub.name, set_name)
                cells = [
                    f"{roi[4:]} {m:.2f}/{e:.2f}" for roi, (m, e) in reliability_table(path).items()
                ]
                print(f"  {sub.name} {set_name:8s} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
