"""Clip input and output: folders of frames, GIF / APNG (Pillow), video files (PyAV), contact sheets.

Clips are uint8 RGB arrays (T, H, W, 3). Outputs are written under a temporary name and
renamed, so a half-written file never carries the final name.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from common.files import atomic_path

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
ANIMATION_SUFFIXES = (".gif", ".apng", ".png", ".webp")
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm")


def _to_rgb(image: Image.Image, size: tuple[int, int] | None) -> np.ndarray:
    image = image.convert("RGB")
    if size is not None and image.size != (size[1], size[0]):
        image = image.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.uint8)


def find_clips(directory: str | Path) -> dict[str, Path]:
    """Map each clip label to its clip in a folder of clips: sub-folders of frames and
    animation / video files (label = folder name or file stem; not searched deeper).

    Raises
    ------
    FileNotFoundError
        When the folder is missing or holds no clip.
    ValueError
        When two clips share a label.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"movie folder {root} does not exist; fix the movie set's path under "
                                "'movie_sets' in the config")  # fmt: skip
    found: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        is_clip = path.is_dir() or path.suffix.lower() in ANIMATION_SUFFIXES + VIDEO_SUFFIXES
        if path.name.startswith(".") or not is_clip:
            continue
        label = path.name if path.is_dir() else path.stem
        if label in found:
            raise ValueError(f"two clips are labelled {label!r}: {found[label]} and {path}")
        found[label] = path
    if not found:
        raise FileNotFoundError(f"no clips in {root}: a movie set holds folders of frames, or "
                                f"{'/'.join(ANIMATION_SUFFIXES + VIDEO_SUFFIXES)} files")  # fmt: skip
    return found


def read_clip(path: str | Path, size: tuple[int, int] | None = None,
              max_frames: int | None = None) -> np.ndarray:  # fmt: skip
    """Read a clip as uint8 RGB frames (T, H, W, 3).

    Parameters
    ----------
    path : str or Path
        A folder of frame images (sorted by file name), an animated GIF / APNG / WebP
        (Pillow), or a video file (.mp4, .mov, .avi, .mkv, .webm; decoded by PyAV's FFmpeg).
    size : (int, int), optional
        Resize every frame to (H, W) (PIL bicubic).
    max_frames : int, optional
        Keep the first frames only.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"clip {path} does not exist")
    if path.is_file() and path.suffix.lower() not in ANIMATION_SUFFIXES + VIDEO_SUFFIXES:
        raise ValueError(f"cannot read {path}: use a folder of frames, "
                         f"{'/'.join(ANIMATION_SUFFIXES)} or {'/'.join(VIDEO_SUFFIXES)}")  # fmt: skip
    try:
        frames = _read_frames(path, size, max_frames)
    except Exception as error:  # PIL's and FFmpeg's many error types name no file
        raise ValueError(f"clip {path} cannot be read ({error}); replace it (a folder of PNG frames, "
                         "a GIF or an MP4) or remove it from the movie set") from error  # fmt: skip
    if not frames:
        raise ValueError(f"no frames found in {path}")
    return np.stack(frames)


def _read_frames(path: Path, size: tuple[int, int] | None, max_frames: int | None) -> list[np.ndarray]:
    limit = max_frames if max_frames is not None else np.inf
    frames: list[np.ndarray] = []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
        for file in files[: None if max_frames is None else max_frames]:
            with Image.open(file) as image:
                frames.append(_to_rgb(image, size))
    elif path.suffix.lower() in VIDEO_SUFFIXES:
        import av  # FFmpeg binding; imported here so image-only users do not load it

        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                if len(frames) >= limit:
                    break
                frames.append(_to_rgb(frame.to_image(), size))
    else:
        with Image.open(path) as image:
            for frame in ImageSequence.Iterator(image):
                if len(frames) >= limit:
                    break
                frames.append(_to_rgb(frame, size))
    return frames


def as_uint8(frames: np.ndarray) -> np.ndarray:
    """uint8 frames (T, H, W, 3); float values are clipped to 0..255 and rounded."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"a clip must be RGB frames (T, H, W, 3); got shape {frames.shape}")
    if frames.dtype == np.uint8:
        return frames
    return np.clip(np.round(frames), 0, 255).astype(np.uint8)


def write_animation(frames: np.ndarray, path: str | Path, fps: float = 8.0) -> Path:
    """Write a looping GIF (``.gif``) or lossless animated PNG (``.png`` / ``.apng``).

    GIF stores at most 256 colours per frame, and Pillow merges identical consecutive frames.
    """
    frames, path = as_uint8(frames), Path(path)
    kinds = {".gif": "GIF", ".png": "PNG", ".apng": "PNG"}
    if path.suffix.lower() not in kinds:
        raise ValueError(f"animation {path} must end in .gif, .png or .apng")
    images = [Image.fromarray(f) for f in frames]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format=kinds[path.suffix.lower()], save_all=True,
                       append_images=images[1:], duration=round(1000 / fps), loop=0)  # fmt: skip
    return path


def write_video(frames: np.ndarray, path: str | Path, fps: float = 8.0, crf: int = 18) -> Path:
    """Write an H.264 MP4 (yuv420p, playable everywhere) with PyAV.

    Odd frame sizes are padded by one edge row / column (H.264 4:2:0 needs even sizes).
    """
    import av

    frames, path = as_uint8(frames), Path(path)
    t, h, w, _ = frames.shape
    frames = np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    with atomic_path(path) as tmp, av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf)}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def write_clip(frames: np.ndarray, path: str | Path, fps: float = 8.0) -> Path:
    """Write a clip by file suffix: .gif / .png / .apng (:func:`write_animation`) or a video
    (:func:`write_video`, H.264)."""
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:
        return write_video(frames, path, fps)
    return write_animation(frames, path, fps)


def contact_sheet(clips: np.ndarray, path: str | Path | None = None, gap: int = 2,
                  background: int = 255) -> np.ndarray:  # fmt: skip
    """Tile clips (N, T, H, W, 3) as an image: one row per clip, one column per frame.

    Parameters
    ----------
    clips : ndarray (N, T, H, W, 3)
        Clips of the same size (uint8, or float 0..255).
    path : str or Path, optional
        Save the sheet as PNG here.
    gap : int
        Pixels between rows and columns.
    background : int
        Grey level of the gaps.

    Returns
    -------
    ndarray (N * (H + gap) - gap, T * (W + gap) - gap, 3) uint8
    """
    clips = np.asarray(clips)
    if clips.ndim != 5:
        raise ValueError(f"contact_sheet takes clips (N, T, H, W, 3); got shape {clips.shape}")
    n, t, h, w, _ = clips.shape
    sheet = np.full((n * (h + gap) - gap, t * (w + gap) - gap, 3), background, dtype=np.uint8)
    for i in range(n):
        frames = as_uint8(clips[i])
        for j in range(t):
            sheet[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = frames[j]
    if path is not None:
        with atomic_path(path) as tmp:
            Image.fromarray(sheet).save(tmp, format="PNG")
    return sheet
