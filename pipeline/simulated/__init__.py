"""The embedded default dataset: stimulus sets from shipped photos and simulated subjects.

Build it with :func:`build_dataset` or ``python -m pipeline.simulated``; it is written as
PNG images and BData files named like the study's (Shen et al. 2019), so later stages read
demo and real data through the same code.
"""

from pipeline.simulated.build import build_dataset, session_file, session_files
from pipeline.simulated.config import DemoConfig, config_from_dict, load_config

__all__ = ["DemoConfig", "build_dataset", "config_from_dict", "load_config", "session_file",
           "session_files"]
