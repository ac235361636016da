"""Tiny stand-ins of the authors' published files, written by bdpy and the authors' formats.

Shared by the decoder and workflow tests. Two fMRI layouts (see
shared/reference/data-formats.md, "What the published files really hold"):

- ``layout="2019"``: the ``*_original_VC.h5`` files: no ``stimulus_name``, a 2-column ``Label``
  (column 1: float-coded id), ``image_index`` (integer, mapped by the index tables), ``ROI_V4``,
  no vmap;
- ``layout="fmriprep"``: the newer files: ``stimulus_name`` (float id) with a vmap to names,
  ``ROI_hV4``.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

import bdpy
import numpy as np
import scipy.io
import torch

# Conv modules of VGG19's ``features`` (bdpy's and torchvision's layout).
VGG19_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
ROIS_2019 = ["ROI_V1", "ROI_V2", "ROI_V3", "ROI_V4", "ROI_LOC", "ROI_FFA", "ROI_PPA"]
ROIS_FMRIPREP = ["ROI_V1", "ROI_V2", "ROI_V3", "ROI_hV4", "ROI_LOC", "ROI_FFA", "ROI_PPA"]


def image_names(n: int, first_wnid: int = 1518878) -> list[str]:
    """``n`` ImageNet-style labels (``n01518878_5958`` ...), distinct synsets and numbers."""
    return [f"n{first_wnid + 1000 * i:08d}_{5958 + 7 * i}" for i in range(n)]


def float_id(name: str) -> float:
    """The float code of a label: ``n01518878_5958`` -> 1518878.005958."""
    wnid, number = name[1:].split("_")
    return float(f"{int(wnid)}.{int(number):06d}")


def write_index_table(path: str | Path, names: Sequence[str]) -> None:
    """The authors' stimulus table: name (file), float id, category, 1-based index; no header."""
    rows = [f"{name}.JPEG\t{float_id(name):.6f}\t{i // 2 + 1}\t{i + 1}" for i, name in enumerate(names)]
    Path(path).write_text("\n".join(rows) + "\n")


def write_session(path: str | Path, layout: str, names: Sequence[str], reps: int,
                  n_voxels: int = 240, seed: int = 0, signal: np.ndarray | None = None) -> None:  # fmt: skip
    """One session file written by bdpy: every image of ``names`` shown ``reps`` times.

    Parameters
    ----------
    path : path
        Destination ``.h5``.
    layout : {'2019', 'fmriprep'}
        Which generation of the published files to imitate.
    names : sequence of str
        Image labels in index order (image_index i + 1 is ``names[i]``).
    reps : int
        Presentations per image, in runs of one presentation of every image.
    n_voxels : int
        Voxels of VC; the early ROIs split the first half, the higher ones the second.
    seed : int
        Noise seed.
    signal : ndarray (len(names), n_voxels), optional
        Voxel response of each image, noise added per presentation; default pure noise.
    """
    if layout not in ("2019", "fmriprep"):
        raise ValueError(f"layout must be '2019' or 'fmriprep', got {layout!r}")
    rng = np.random.default_rng(seed)
    index = np.tile(np.arange(len(names)), reps)
    base = np.zeros((len(names), n_voxels)) if signal is None else np.asarray(signal, dtype=float)
    bd = bdpy.BData()
    bd.add(base[index] + rng.standard_normal((index.size, n_voxels)), "VoxelData")
    bd.add(np.repeat(np.arange(1, reps + 1), len(names)).astype(float), "Run")
    bd.add(np.tile(np.arange(1, len(names) + 1), reps).astype(float), "Block")
    ids = np.array([float_id(names[i]) for i in index])
    if layout == "2019":
        # Column 0 is not the stimulus (the authors read column 1).
        bd.add(np.c_[np.ones(index.size), ids], "Label")
        bd.add((index + 1).astype(float), "image_index")
    else:
        bd.add(ids, "stimulus_name")
        bd.add_vmap("stimulus_name", {float_id(n): n for n in names})
    rois = ROIS_2019 if layout == "2019" else ROIS_FMRIPREP
    groups = np.array_split(np.arange(n_voxels), len(rois))
    for roi, members in zip(rois, groups, strict=True):
        flag = np.zeros(n_voxels)
        flag[members] = 1
        bd.add_metadata(roi, flag, f"1 = {roi}", where="VoxelData")
    early = np.isin(np.arange(n_voxels), np.concatenate(groups[:4]))
    bd.add_metadata("ROI_LVC", early.astype(float), "1 = LVC", where="VoxelData")
    bd.add_metadata("ROI_HVC", (~early).astype(float), "1 = HVC", where="VoxelData")
    bd.add_metadata("ROI_VC", np.ones(n_voxels), "1 = VC", where="VoxelData")
    for axis in "xyz":
        bd.add_metadata(f"voxel_{axis}", rng.uniform(-60, 60, n_voxels), axis, where="VoxelData")
    bd.save(str(path))


def tiny_vgg19_state_dict(seed: int = 0, width: int = 4, fc: int = 8) -> dict:
    """A narrow stand-in of bdpy's converted VGG19 (same keys, ``width`` channels, ``fc`` units)."""
    gen = torch.Generator().manual_seed(seed)
    state, c_in = {}, 3
    for index in VGG19_CONV_INDICES:
        state[f"features.{index}.weight"] = torch.randn(width, c_in, 3, 3, generator=gen) * 0.3
        state[f"features.{index}.bias"] = torch.randn(width, generator=gen) * 0.1
        c_in = width
    for index, (n_in, n_out) in zip((0, 3, 6), ((width * 49, fc), (fc, fc), (fc, fc)), strict=True):
        state[f"classifier.{index}.weight"] = torch.randn(n_out, n_in, generator=gen) / n_in**0.5
        state[f"classifier.{index}.bias"] = torch.randn(n_out, generator=gen) * 0.1
    return state


def write_decoded_tree(data_dir: str | Path, image_type: str, network: str,
                       shapes: dict[str, tuple], subjects: Sequence[str], rois: Sequence[str],
                       labels: Sequence[str], seed: int = 0) -> None:  # fmt: skip
    """The authors' decoded features: ``decodedfeatures/<type>/<net>/<layer>/<S>/<roi>/`` with
    ``<type>-<net>-<layer>-<S>-<roi>-<label>.mat`` (MATLAB v5, ``feat``; fc as a 1 x n row)."""
    rng = np.random.default_rng(seed)
    for layer, shape in shapes.items():
        for subject in subjects:
            for roi in rois:
                folder = Path(data_dir, "decodedfeatures", image_type, network, layer, subject, roi)
                folder.mkdir(parents=True, exist_ok=True)
                for label in labels:
                    feat = rng.standard_normal(shape if len(shape) > 1 else (1, *shape))
                    name = f"{image_type}-{network}-{layer}-{subject}-{roi}-{label}.mat"
                    scipy.io.savemat(folder / name, {"feat": feat.astype(np.float32)})


def zip_decoded(data_dir: str | Path, out_dir: str | Path) -> list[str]:
    """Zip each ``<type>/<net>/<layer>/<S>`` folder as the authors did; return the list lines
    (``name,id,md5``) of their ``file_list.csv``."""
    lines = []
    root = Path(data_dir, "decodedfeatures")
    for number, folder in enumerate(sorted(p for p in root.glob("*/*/*/*") if p.is_dir())):
        name = "decodedfeatures-" + "-".join(folder.relative_to(root).parts) + ".zip"
        with zipfile.ZipFile(Path(out_dir, name), "w") as archive:
            for path in sorted(folder.rglob("*.mat")):
                archive.write(path, path.relative_to(Path(data_dir)).as_posix())
        lines.append(f"{name},{1000 + number},{hashlib.md5(Path(out_dir, name).read_bytes()).hexdigest()}")
    return lines


def write_feature_sd(path: str | Path, sd: dict[str, float]) -> None:
    """The authors' ``estimated_vgg19_cnn_feat_std.mat``: one 1 x 1 SD per layer (v5)."""
    scipy.io.savemat(path, {layer: np.array([[value]], dtype=np.float32) for layer, value in sd.items()})
