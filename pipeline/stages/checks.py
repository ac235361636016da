"""The data check: every subject's fMRI files and every image set, before any compute.

The workflow checks each image set (:func:`write_image_check`) and each subject
(:func:`write_subject_check`), then gathers them in one table that every computing rule waits
for, so a bad file fails the run first, naming the file and the fix. It also decides which voxels the
decoders use (all of them, or the finite ones when the config asks to drop the others).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from common.files import atomic_path
from icnn.images import find_images, read_image
from icnn.video.io import find_clips
from pipeline.config import session_labels
from pipeline.movie_sets import frame_labels, load_movie_set, movie_frame_labels, split_frame_label
from pipeline.stages.decoding import read_session, select_roi, timed_samples
from pipeline.tables import write_tsv

NONFINITE_POLICIES = ("refuse", "drop")


@dataclass(frozen=True)
class SessionCheck:
    """What the check saw of one ROI in one session file."""

    file: str
    roi: str
    voxels: int
    samples: int
    nonfinite_voxels: int


def _shown(labels: Sequence[str], limit: int = 5) -> str:
    return ", ".join(list(labels)[:limit]) + (" ..." if len(labels) > limit else "")


def check_session(path: str | os.PathLike, rois: Mapping[str, str], labels_spec: str | Mapping,
                  image_labels: Sequence[str], what: str, is_test: bool = False,
                  nonfinite: str = "refuse", timing: Mapping | None = None
                  ) -> tuple[list[SessionCheck], dict[str, np.ndarray]]:  # fmt: skip
    """Check one session file: readable, ROIs, labels vs samples and images, finite values.

    Parameters
    ----------
    path : path
        BData file of the session.
    rois : mapping
        ROI name -> selection expression.
    labels_spec : str or mapping
        Where the stimulus labels are (a key, or :class:`decoders.labels.LabelSpec` fields);
        one label per sample, or the reading fails naming the file, the key and the fix.
    image_labels : sequence of str
        Labels of the session's image set.
    what : str
        How errors name the image set.
    is_test : bool
        A test session must show every image of its set (decoded features are averaged per image).
    nonfinite : {'refuse', 'drop'}
        What NaN/Inf voxels do: fail the check, or leave the voxel out of the decoders.
    timing : mapping, optional
        ``{tr_s, delays_s}`` of a movie session: the labels checked are those of its frame
        samples (every delayed volume must lie in the session).

    Returns
    -------
    checks : list of SessionCheck
        One per ROI.
    finite : dict
        ROI name -> boolean mask of the voxels finite in every sample.
    """
    checks, finite = [], {}
    try:
        bdata, labels = read_session(path, labels_spec)  # once: the ROIs are selections of it
    except OSError as error:  # h5py's messages (truncated file, bad signature) name no file
        raise ValueError(f"{path} cannot be read as a BData HDF5 file ({error}); download or "
                         "copy it again, or fix its path in the config") from error
    if timing is not None:
        _, labels = timed_samples(bdata, np.zeros((len(labels), 0)), labels, timing, path)
    for name, expression in rois.items():
        X = select_roi(bdata, expression, path)
        ok = np.isfinite(X).all(axis=0)
        bad = int((~ok).sum())
        if bad and nonfinite == "refuse":
            raise ValueError(f"{path}, ROI {name} ({expression}): {bad} of {X.shape[1]} voxels hold "
                             "NaN or Inf values; repair the file, or set decoder.nonfinite_voxels: "
                             "drop to leave those voxels out")  # fmt: skip
        if bad == X.shape[1]:
            raise ValueError(f"{path}, ROI {name}: every voxel holds NaN or Inf values; repair the file")
        checks.append(SessionCheck(os.fspath(path), name, X.shape[1], X.shape[0], bad))
        finite[name] = ok
    known = set(image_labels)
    missing = sorted(set(labels) - known)
    if missing:
        raise KeyError(f"{len(missing)} stimulus labels of {path} have no image in {what}: "
                       f"{_shown(missing)}; point the image set to the stimulus images or fix the "
                       "label key")  # fmt: skip
    unshown = sorted(known - set(labels))
    if is_test and unshown:
        raise KeyError(f"{len(unshown)} images of {what} were never shown in {path}: "
                       f"{_shown(unshown)}; remove them from the image folder or use the session "
                       "that showed them")  # fmt: skip
    return checks, finite


def check_subject(name: str, entry: Mapping, rois: Mapping[str, str],
                  image_labels: Mapping[str, Sequence[str]], n_voxels: int | None,
                  nonfinite: str = "refuse", timings: Mapping[str, Mapping | None] | None = None
                  ) -> tuple[list[SessionCheck], dict[str, np.ndarray]]:  # fmt: skip
    """Check every session of a subject and that their ROIs agree.

    ``timings`` maps the movie sets among the subject's sets to their session timing
    (:func:`pipeline.config.session_timing`). Returns the checks of all sessions and, per
    ROI, the voxels finite in every session.
    """
    sessions = [(entry["train"]["fmri"], entry["train"]["image_set"], False)]
    sessions += [(fmri, image_set, True) for image_set, fmri in entry["test"].items()]
    checks: list[SessionCheck] = []
    keep: dict[str, np.ndarray] = {}
    for fmri, image_set, is_test in sessions:
        found, finite = check_session(fmri, rois, session_labels(entry, image_set), image_labels[image_set],
                                      f"image set {image_set!r}", is_test, nonfinite,
                                      (timings or {}).get(image_set))  # fmt: skip
        checks += found
        for roi, mask in finite.items():
            if roi in keep and keep[roi].shape != mask.shape:
                raise ValueError(f"subject {name}, ROI {roi}: {mask.size} voxels in {fmri} but "
                                 f"{keep[roi].size} in {sessions[0][0]}; the sessions must hold "
                                 "the same voxels (same preprocessing and ROI masks)")  # fmt: skip
            keep[roi] = keep[roi] & mask if roi in keep else mask
    for roi, mask in keep.items():
        if n_voxels is not None and n_voxels > int(mask.sum()):
            raise ValueError(f"subject {name}, ROI {roi}: decoder.n_voxels = {n_voxels} is more "
                             f"than the ROI's {int(mask.sum())} usable voxels; lower decoder.n_voxels "
                             "or use a larger ROI")  # fmt: skip
    return checks, keep


def save_voxel_masks(path: str | os.PathLike, masks: Mapping[str, np.ndarray]) -> None:
    """Write the voxels each ROI's decoders use (one boolean array per ROI), atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **{roi: mask.astype(bool) for roi, mask in masks.items()})


def load_voxel_mask(path: str | os.PathLike, roi: str) -> np.ndarray:
    """The voxels of ``roi`` that the data check kept (written by :func:`write_subject_check`)."""
    with np.load(path) as masks:
        if roi not in masks:
            raise KeyError(f"{path} has no voxel mask of ROI {roi!r}; rerun the data check")
        return masks[roi]


def write_image_check(directory: str | os.PathLike, output: str | os.PathLike) -> None:
    """Check an image set (every file opens in a supported mode); write its labels and files."""
    found = find_images(directory)
    for path in found.values():
        read_image(path)
    write_tsv(output, ["label", "file"], [[label, os.fspath(found[label])] for label in sorted(found)])


def write_movie_check(directory: str | os.PathLike, output: str | os.PathLike, image_size: int) -> None:
    """Check a movie set (every clip reads, all have the same number of frames); write the
    label of every frame and its clip."""
    found = find_clips(directory)
    clips, frames = load_movie_set(directory, image_size)
    write_tsv(output, ["label", "file"], [[label, os.fspath(found[split_frame_label(label)[0]])]
                                          for label in frame_labels(clips, frames.shape[1])])  # fmt: skip


def write_subject_check(name: str, entry: Mapping, rois: Mapping[str, str], image_sets: Mapping[str, str],
                        n_voxels: int | None, nonfinite: str, output: str | os.PathLike,
                        voxel_mask: str | os.PathLike, timings: Mapping[str, Mapping | None] | None = None
                        ) -> None:  # fmt: skip
    """Check a subject's sessions; write a TSV (file, roi, voxels, samples, nonfinite_voxels) and
    the voxels its decoders use (one mask per ROI). ``timings``: see :func:`check_subject`."""
    if nonfinite not in NONFINITE_POLICIES:
        raise ValueError(f"decoder.nonfinite_voxels: {nonfinite!r} is not one of {NONFINITE_POLICIES}")
    timings = timings or {}
    labels = {image_set: movie_frame_labels(directory) if timings.get(image_set) else sorted(find_images(directory))
              for image_set, directory in image_sets.items()}  # fmt: skip
    checks, keep = check_subject(name, entry, rois, labels, n_voxels, nonfinite, timings)
    save_voxel_masks(voxel_mask, keep)
    write_tsv(output, ["file", "roi", "voxels", "samples", "nonfinite_voxels"],
              [[c.file, c.roi, c.voxels, c.samples, c.nonfinite_voxels] for c in checks])  # fmt: skip
