"""The tiny workflow on a real single-node SLURM through `--profile profiles/slurm`.

Needs the cluster that `make test-cluster` starts (.ci/slurm/start.sh exports SLURM_CONF);
`make test` skips this folder. One cluster run has a reconstruction job cancelled with scancel
mid-run; a rerun completes it; the summary equals a local run's and sacct has every job.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.workflow.tiny import read_tsv, tiny_config, tiny_study

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
RUN_LIMIT_S = int(os.environ.get("SLURM_TEST_RUN_LIMIT_S", 500))  # one snakemake run; past it: hung

pytestmark = pytest.mark.skipif(
    "SLURM_CONF" not in os.environ, reason="needs the SLURM cluster of `make test-cluster`"
)


def cluster_config() -> dict:
    """The tiny config cut to a job count that 2 cores run through SLURM in minutes: one
    subject, one variant, one reconstruction chunk per condition, conv1_2's
    decoder in two shards (each job's Snakemake and scripts take seconds to start)."""
    config = tiny_config()
    config["decoder"]["shard_units"] = 40000
    config["subjects"] = {"sub-01": config["subjects"]["sub-01"]}
    config["generator"] = None
    variants = ["icnn_gd"]
    config["reconstruction"] |= {"variants": variants, "images_per_job": 10,
                                 "options": {v: {"n_iter": 5} for v in variants}}  # fmt: skip
    config["figures"]["subject"] = "sub-01"
    return config


def slurm(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout


def cluster_cmd(workdir: Path) -> list[str]:
    return [*SNAKEMAKE, "--directory", str(workdir), "--profile", str(ROOT / "profiles" / "slurm"),
            "--slurm-init-seconds-before-status-checks", "5"]  # fmt: skip


def run_cancelling_one_job(cmd: list[str], log: Path, rule: str) -> tuple[int, str]:
    """Run cmd; once a job of `rule` runs on the cluster, scancel it. Returns the exit code
    and the cancelled SLURM job id."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + RUN_LIMIT_S
        victim = ""
        try:
            while not victim and proc.poll() is None and time.monotonic() < deadline:
                for line in slurm("squeue", "-h", "-o", "%i|%T|%k").splitlines():
                    job_id, state, comment = line.split("|", 2)
                    if state == "RUNNING" and comment.startswith(f"rule_{rule}"):
                        victim = job_id
                time.sleep(0.5)
            assert victim, f"no {rule} job was seen running; log: {log.read_text()[-3000:]}"
            time.sleep(1)  # the job is past its start (its Snakemake takes seconds to load)
            slurm("scancel", victim)
            code = proc.wait(timeout=max(deadline - time.monotonic(), 1))
        finally:
            if proc.poll() is None:
                proc.kill()
    return code, victim


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A local run and a cluster run (with one cancelled job, then a rerun) of the same study."""
    local = tiny_study(tmp_path_factory.mktemp("local"), cluster_config())
    cluster = tmp_path_factory.mktemp("cluster")
    shutil.copytree(local / "data", cluster / "data")
    shutil.copytree(local / "config", cluster / "config")

    t0 = time.monotonic()
    # The local run goes alongside the cluster runs: those mostly wait on SLURM's queue.
    with open(local / "local.log", "w") as local_log:
        local_run = subprocess.Popen([*SNAKEMAKE, "--directory", str(local), "--cores", "2"],
                                     stdout=local_log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            first_code, victim = run_cancelling_one_job(cluster_cmd(cluster), cluster / "first.log",
                                                        "reconstruct_true")  # fmt: skip
            t1 = time.monotonic()
            rerun = subprocess.run(cluster_cmd(cluster), capture_output=True, text=True, timeout=RUN_LIMIT_S)
            local_code = local_run.wait(timeout=RUN_LIMIT_S)
        finally:
            if local_run.poll() is None:
                local_run.kill()
    print(f"cluster run {t1 - t0:.0f} s, rerun {time.monotonic() - t1:.0f} s (the local run alongside)")
    assert local_code == 0, (local / "local.log").read_text()[-3000:]
    return {"local": local, "cluster": cluster, "first_code": first_code, "victim": victim,
            "first_log": (cluster / "first.log").read_text(), "rerun": rerun}  # fmt: skip


def test_cancelled_job_fails_the_run_and_a_rerun_completes(runs):
    assert runs["first_code"] != 0
    assert f"SLURM-job '{runs['victim']}' failed" in runs["first_log"]
    rerun = runs["rerun"]
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    # the rerun redoes the cancelled chunk and what reads it, not the whole study
    jobs = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", rerun.stderr, re.M)}
    assert jobs["reconstruct_true"] == 1 and "train_decoder" not in jobs, jobs


def test_cluster_summary_equals_the_local_run(runs):
    cluster = read_tsv(runs["cluster"] / "results" / "summary.tsv")
    local = read_tsv(runs["local"] / "results" / "summary.tsv")
    assert len(cluster) == len(local) == 2 * 4  # (decoded, true) x metrics
    for c, lo in zip(cluster, local, strict=True):
        assert c.keys() == lo.keys()
        for key, value in c.items():
            try:
                assert float(value) == pytest.approx(float(lo[key]), abs=1e-5), (key, c, lo)
            except ValueError:
                assert value == lo[key], (key, c, lo)
    for name in ("identification", "decoding_accuracy", "loss_curves", "reconstructions_natural"):
        assert (runs["cluster"] / "results" / "figures" / f"{name}.png").stat().st_size > 1000


def test_jobs_are_in_the_accounting_database(runs):
    logs = runs["first_log"] + runs["rerun"].stderr
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", logs)
    run_ids = set(re.findall(r"SLURM run ID: (\S+)", logs))
    assert len(run_ids) == 2 and len(submitted) >= 8
    states = {}
    for run_id in run_ids:
        for line in slurm("sacct", "-n", "-X", "-P", "-S", "now-2hours", "--name", run_id,
                          "-o", "JobID,State").splitlines():  # fmt: skip
            job_id, state = line.split("|")
            states[job_id] = state
    assert set(submitted) == set(states)
    assert states.pop(runs["victim"]).startswith("CANCELLED")
    assert set(states.values()) == {"COMPLETED"}
