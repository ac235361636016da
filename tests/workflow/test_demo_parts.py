"""The demo's movie part is opt-in: an image-only run (`make demo`) writes no clip, and adding
the movie config to a finished run plans the movie jobs only."""

from __future__ import annotations

import yaml

from tests.workflow.tiny import (
    TINY_DEMO,
    TINY_MOVIES,
    planned_jobs,
    snakemake,
    tiny_config,
    tiny_movie_config,
    write_configs,
)

#: Jobs that gather over every condition: they rerun when conditions are added, computing
#: nothing of the image conditions again.
AGGREGATES = {"all", "check_data", "summary", "gather_decoding_scores", "figure_identification",
              "figure_decoding_accuracy"}  # fmt: skip
MOVIE_SETS = {"movie_training", "movie_test"}


def _image_demo() -> dict:
    """The tiny workflow in demo mode, cut down: sub-01, conv3_4, icnn_gd, 3 iterations, one
    reconstruction job per source, no generator."""
    config = tiny_config() | {"demo_data": "config/demo_data.yaml", "generator": None,
                              "evaluation": {"metrics": ["pixel_identification"]}}  # fmt: skip
    config["subjects"] = {"sub-01": config["subjects"]["sub-01"]}
    config["encoder"]["layers"] = ["conv3_4"]
    config["reconstruction"].update(variants=["icnn_gd"], layer_sets={"all": ["conv3_4"]}, images_per_job=10,
                                    options={"icnn_gd": {"n_iter": 3}})  # fmt: skip
    config["figures"] = {"subject": "sub-01", "roi": "VC", "max_images": 2}
    return config


def _movie_part() -> dict:
    """The movie condition as a second config file over the first (config/movies.yaml's role)."""
    movie = tiny_movie_config()
    extra = {key: movie[key] for key in ("movie_sets", "movie")}
    extra["subjects"] = {"sub-01-movies": movie["subjects"]["sub-01-movies"]}
    extra["movie"]["layer_sets"] = {"mid": {"layers": ["conv3_4"], "variants": ["icnn_gd"]}}
    return extra


def test_image_demo_writes_no_movies_and_adding_them_reruns_no_image_job(tmp_path):
    demo = TINY_DEMO | {"movies": TINY_MOVIES, "subjects": [{"name": "sub-01", "seed": 1}]}
    write_configs(tmp_path, _image_demo(), demo)
    run = snakemake(tmp_path)
    assert run.returncode == 0, run.stderr[-4000:]
    data = tmp_path / "data/demo"
    assert (data / "build_stamp.json").is_file() and "demo_movies" not in run.stderr
    assert not (data / "movies").exists() and not list(data.glob("*Movie*")) and not (data / "movie_stamp.json").exists()

    (tmp_path / "config/movies.yaml").write_text(yaml.safe_dump(_movie_part(), sort_keys=False))
    both = ["--configfile", *(str(tmp_path / "config" / name) for name in ("config.yaml", "movies.yaml"))]
    # Before the movie part exists, the plan starts with it (what follows it is not known yet).
    plan = snakemake(tmp_path, "-n", *both)
    assert plan.returncode == 0, plan.stderr[-4000:]
    first = {rule for rule, _ in planned_jobs(plan.stdout)}
    assert "demo_movies" in first and "demo_data" not in first
    # With the movie part built, the whole plan: movie jobs and the gathering ones only.
    built = snakemake(tmp_path, "data/demo/movie_stamp.json", *both)
    assert built.returncode == 0, built.stderr[-4000:]
    assert len(list((data / "movies/movie_test").iterdir())) == TINY_MOVIES["n_test"]
    plan = snakemake(tmp_path, "-n", *both)
    assert plan.returncode == 0, plan.stderr[-4000:]
    jobs = planned_jobs(plan.stdout)
    image_jobs = [(rule, wc) for rule, wc in jobs if rule not in AGGREGATES and not (
        wc.get("subject") == "sub-01-movies" or wc.get("image_set") in MOVIE_SETS)]  # fmt: skip
    assert image_jobs == []
    # and the movie condition is all there: its decoders, reconstructions and figure
    rules = {rule for rule, _ in jobs}
    assert {"check_subject", "train_decoder", "reconstruct_decoded", "reconstruct_true", "figure_movies"} <= rules
