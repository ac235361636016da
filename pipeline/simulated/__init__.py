"""The embedded default dataset: stimulus sets from shipped photos and simulated subjects.

Build it with :func:`build_dataset` or ``python -m pipeline.simulated``; it is written as
PNG images and BData files named like the study's (Shen et al. 2019), so later stages read
demo and real data through the same code. The movie study is a part of its own
(:func:`build_movies`), built only when asked for.
"""

from pipeline.simulated.build import (
    MOVIE_STAMP_FILE,
    STAMP_FILE,
    build_dataset,
    build_images,
    build_movies,
    image_session_files,
    movie_session_files,
    session_file,
)
from pipeline.simulated.config import DemoConfig, config_from_dict, load_config

__all__ = ["MOVIE_STAMP_FILE", "STAMP_FILE", "DemoConfig", "build_dataset", "build_images", "build_movies",
           "config_from_dict", "image_session_files", "load_config", "movie_session_files", "session_file"]
