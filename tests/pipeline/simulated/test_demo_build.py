"""Build entry point: BData layout, byte-identical rebuilds, skipping what is up to date, CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from decoders.bdata import BData
from pipeline.resources import simulation_mb
from pipeline.simulated import build_dataset, config_from_dict, session_file
from pipeline.simulated.__main__ import main
from pipeline.simulated.build import STAMP_FILE
from pipeline.simulated.stimuli import SETS, read_index

ROI_KEYS = ["ROI_V1", "ROI_V2", "ROI_V3", "ROI_hV4", "ROI_HVC"]


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_file_names_mirror_the_study(tiny_dataset):
    names = sorted(p.name for p in tiny_dataset.glob("*.h5"))
    assert names == sorted(
        f"sub-0{s}_{stem}_original_VC.h5" for s in (1, 2) for stem in SETS.values()
    )


@pytest.mark.parametrize("set_name", list(SETS))
def test_bdata_keys_labels_and_design(tiny_dataset, tiny_config, set_name):
    bd = BData(session_file(tiny_dataset, "sub-01", set_name))
    for key in ["VoxelData", "Run", "Block", "stimulus_name", "ROI_LVC", "ROI_VC", *ROI_KEYS]:
        assert key in bd.metadata_keys
    for key in ["voxel_x", "voxel_y", "voxel_z", "prf_x", "prf_y", "prf_sigma", "voxel_snr"]:
        assert np.isfinite(bd.get_metadata(key, where="VoxelData")).all()
    voxels = bd.select("ROI_VC = 1")
    n_vox = sum(tiny_config.model.n_voxels.values())
    assert voxels.shape[1] == n_vox and np.isfinite(voxels).all()
    # ROI flags partition VC; LVC is V1-V3.
    flags = np.stack([bd.get_metadata(k, where="VoxelData") for k in ROI_KEYS])
    assert (flags.sum(axis=0) == 1).all()
    assert (
        bd.select("ROI_LVC = 1").shape[1]
        == bd.select("ROI_V1 = 1 | ROI_V2 = 1 | ROI_V3 = 1").shape[1]
    )
    # Labels are the image ids of the set, each shown the configured number of times.
    labels = bd.get_labels("stimulus_name")
    ids = [r["id"] for r in read_index(tiny_dataset / "images") if r["set"] == set_name]
    assert sorted(set(labels)) == sorted(ids)
    reps = {"training": 2, "test": 4, "validation": 4, "artificial": 2, "letter": 2}[set_name]
    assert all(labels.count(i) == reps for i in ids)
    run, block = bd.select("Run")[:, 0], bd.select("Block")[:, 0]
    assert run.min() == 1 and (np.diff(run) >= 0).all()
    assert max(np.bincount(run.astype(int))) <= tiny_config.design.trials_per_run
    for r in np.unique(run):
        assert list(block[run == r]) == list(range(1, (run == r).sum() + 1))


def test_bdpy_reads_the_files(tiny_dataset):
    bdpy = pytest.importorskip("bdpy")
    path = session_file(tiny_dataset, "sub-02", "test")
    ours, theirs = BData(path), bdpy.BData(str(path))
    assert theirs.get_labels("stimulus_name") == ours.get_labels("stimulus_name")
    np.testing.assert_array_equal(theirs.select("ROI_V1 = 1"), ours.select("ROI_V1 = 1"))


def test_same_config_gives_byte_identical_files(tiny_dataset, tiny_config, tmp_path):
    build_dataset(tiny_config, out_dir=tmp_path, progress=False)
    first, second = _files(tiny_dataset), _files(tmp_path)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_skips_what_is_up_to_date_and_rebuilds_the_rest(
    tiny_dataset, tiny_config, tiny_dict, tmp_path
):
    out = tmp_path / "data"
    shutil.copytree(tiny_dataset, out)
    again = build_dataset(tiny_config, out_dir=out, progress=False)
    assert again.built == [] and again.skipped == ["images", "sub-01", "sub-02"]

    # A damaged file rebuilds its artifact only, to the same bytes.
    victim = session_file(out, "sub-02", "letter")
    original = victim.read_bytes()
    victim.write_bytes(b"damaged")
    assert build_dataset(tiny_config, out_dir=out, progress=False).built == ["sub-02"]
    assert victim.read_bytes() == original

    # A new seed for sub-02 and dropping sub-01: only sub-02 is simulated, sub-01's files go.
    data = {**tiny_dict, "subjects": [{"name": "sub-02", "seed": 7}]}
    result = build_dataset(config_from_dict(data), out_dir=out, progress=False)
    assert result.built == ["sub-02"] and result.skipped == ["images"]
    assert not list(out.glob("sub-01_*")) and victim.read_bytes() != original

    # Fewer training images: the extra PNGs are removed with the old index.
    data["stimuli"]["n_train"] = 30
    result = build_dataset(config_from_dict(data), out_dir=out, progress=False)
    assert result.built == ["images", "sub-02"]
    assert len(list((out / "images" / "training").glob("*.png"))) == 30 + 4  # crops + dead leaves
    assert build_dataset(config_from_dict(data), out_dir=out, progress=False, force=True).built == [
        "images",
        "sub-02",
    ]
    assert (out / STAMP_FILE).is_file()


def test_cli_builds_and_reports(tiny_dataset, tiny_dict, tmp_path, capsys):
    out = tmp_path / "data"
    shutil.copytree(tiny_dataset, out)
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump(tiny_dict))
    assert main(["--config", str(config), "--out", str(out), "--quiet", "--report"]) == 0
    text = capsys.readouterr().out
    assert "built nothing" in text
    assert "sub-02 test" in text and "HVC" in text

    # With a movies section, --only images builds no movie part (nothing here: all up to date).
    config.write_text(yaml.safe_dump(tiny_dict | {"movies": {"n_train": 2, "n_test": 2}}))
    assert main(["--config", str(config), "--out", str(out), "--quiet", "--only", "images"]) == 0
    assert "built nothing" in capsys.readouterr().out and not (out / "movies").exists()
    with pytest.raises(SystemExit):  # the report reads image sessions
        main(["--config", str(config), "--out", str(out), "--only", "movies", "--report"])
    assert "--report reads the image sessions" in capsys.readouterr().err


@pytest.mark.parametrize("part", ["images", "movies"])
def test_declared_memory_bounds_a_measured_build(tiny_dict, tmp_path, part):
    # The workflow asks for simulation_mb: it must cover the build's peak (deep-network
    # channels included), without asking for much more.
    tiny_dict |= {"out_dir": str(tmp_path / "data"), "subjects": tiny_dict["subjects"][:1],
                  "movies": {"n_train": 8, "n_test": 2, "subjects": ["sub-01"]}}  # fmt: skip
    tiny_dict["model"]["dnn_channels"] = {"input_size": 64}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(tiny_dict))
    # VmHWM, not ru_maxrss: Linux carries pytest's peak (GBs late in the suite) into a child's
    # ru_maxrss across exec.
    code = ("import sys; from pipeline.simulated import build_images, build_movies, load_config; "
            f"build_{part}(load_config(sys.argv[1]), progress=False); "
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    measured = int(run.stdout.split()[-1]) / 1024  # kB -> MB
    declared = simulation_mb(config_from_dict(tiny_dict), part)
    print(f"tiny {part} build with deep-network channels: peak {measured:.0f} MB, declared {declared} MB")
    assert measured < declared < 2 * measured


def test_cli_bad_config_exits_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("stimuli: {image_size: 4}\n")
    assert main(["--config", str(config), "--out", str(tmp_path)]) == 2
    assert "stimuli.image_size" in capsys.readouterr().err


def test_simulation_memory_of_a_part_it_does_not_build_is_an_error(tiny_dict):
    with pytest.raises(ValueError, match="movies section"):
        simulation_mb(config_from_dict(tiny_dict), "movies")
