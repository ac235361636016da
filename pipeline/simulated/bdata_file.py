"""Write a simulated session as a BData file with the keys of the study's files."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np

from decoders.bdata import BData
from pipeline.simulated.design import Session
from pipeline.simulated.voxel_model import VoxelPopulation

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

#: ROI flag key of each simulated area, as in the study's files (hV4 for V4).
ROI_KEYS: dict[str, str] = {
    "V1": "ROI_V1",
    "V2": "ROI_V2",
    "V3": "ROI_V3",
    "V4": "ROI_hV4",
    "HVC": "ROI_HVC",
}
#: Union ROIs of the study's files: lower visual cortex and the whole visual cortex.
UNION_ROIS: dict[str, tuple[str, ...]] = {
    "ROI_LVC": ("V1", "V2", "V3"),
    "ROI_VC": ("V1", "V2", "V3", "V4", "HVC"),
}


def session_bdata(
    responses: np.ndarray, session: Session, image_ids: list[str], pop: VoxelPopulation,
    rest_label: str | None = None,
) -> BData:
    """Assemble one session as BData.

    Parameters
    ----------
    responses : numpy.ndarray
        (n_blocks, n_voxels) voxel responses.
    session : Session
        Presentation order: gives the Run, Block and stimulus_name columns.
    image_ids : list of str
        Image ids of the set; ``stimulus_name`` value k + 1 maps to ``image_ids[k]``.
    pop : VoxelPopulation
        Gives the ROI flags, voxel coordinates and the simulation's ground truth.
    rest_label : str, optional
        Name of ``stimulus_name`` 0 (image -1): the rest volumes of a movie session.

    Returns
    -------
    BData
        Keys VoxelData, Run, Block, stimulus_name (with vmap), ROI_* flags,
        voxel_x/y/z, and per-voxel ground truth prf_x, prf_y, prf_sigma, voxel_snr.
    """
    bd = BData()
    bd.add(responses, "VoxelData")
    bd.add(session.run[:, None].astype(float), "Run")
    bd.add(session.block[:, None].astype(float), "Block")
    bd.add(session.image[:, None] + 1.0, "stimulus_name")
    names = {float(k + 1): name for k, name in enumerate(image_ids)}
    bd.add_vmap("stimulus_name", names if rest_label is None else {0.0: rest_label, **names})
    flags = {key: pop.roi == roi for roi, key in ROI_KEYS.items()}
    flags.update({key: np.isin(pop.roi, rois) for key, rois in UNION_ROIS.items()})
    for key, flag in flags.items():
        bd.add_metadata(key, flag.astype(float), f"1 = ROI {key[4:]} voxel", where="VoxelData")
    per_voxel = {
        "voxel_x": (pop.xyz[:, 0], "voxel x coordinate (mm, synthetic)"),
        "voxel_y": (pop.xyz[:, 1], "voxel y coordinate (mm, synthetic)"),
        "voxel_z": (pop.xyz[:, 2], "voxel z coordinate (mm, synthetic)"),
        "prf_x": (pop.prf[:, 0], "simulation truth: pRF centre x (deg, right +)"),
        "prf_y": (pop.prf[:, 1], "simulation truth: pRF centre y (deg, up +)"),
        "prf_sigma": (pop.prf[:, 2], "simulation truth: pRF SD (deg)"),
        "voxel_snr": (pop.snr, "simulation truth: single-trial signal SD / noise SD"),
    }
    for key, (value, description) in per_voxel.items():
        bd.add_metadata(key, value, description, where="VoxelData")
    return bd


def write_session(
    path: str | Path,
    responses: np.ndarray,
    session: Session,
    image_ids: list[str],
    pop: VoxelPopulation,
    rest_label: str | None = None,
) -> None:
    """Write :func:`session_bdata` to ``path`` atomically, with a fixed creation time (the Unix
    epoch), so that the same configuration gives byte-identical files."""
    session_bdata(responses, session, image_ids, pop, rest_label).save(path, ctime=_EPOCH)
