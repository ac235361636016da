import numpy as np
import pytest
from PIL import Image

from icnn.video.io import contact_sheet, read_clip, write_clip

from .conftest import moving_square


@pytest.fixture
def clip():
    return moving_square(n_frames=4, size=24, side=6, step=3)[0].round().astype(np.uint8)


@pytest.mark.parametrize("name", ["clip.gif", "clip.png", "clip.apng"])
def test_animations_round_trip_exactly(tmp_path, clip, name):
    # Few colours: GIF's 256-colour palette is exact here; APNG is lossless anyway.
    flat = clip.copy()
    flat[flat < 200] = 90
    path = write_clip(flat, tmp_path / name, fps=10)
    np.testing.assert_array_equal(read_clip(path), flat)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left


def test_mp4_round_trip_through_pyav(tmp_path, clip):
    path = write_clip(clip, tmp_path / "clip.mp4", fps=8)
    back = read_clip(path)
    assert back.shape == clip.shape and back.dtype == np.uint8
    assert np.abs(back.astype(float) - clip).mean() < 6.0  # H.264 is lossy, crf 18
    assert read_clip(path, size=(12, 16), max_frames=2).shape == (2, 12, 16, 3)


def test_folder_of_frames_is_read_in_name_order(tmp_path, clip):
    for t in reversed(range(4)):
        Image.fromarray(clip[t]).save(tmp_path / f"frame_{t:03d}.png")
    (tmp_path / "notes.txt").write_text("not a frame")
    np.testing.assert_array_equal(read_clip(tmp_path), clip)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no frames"):
        read_clip(tmp_path / "empty")


def test_contact_sheet_tiles_clips_by_row_and_frame(tmp_path, clip):
    clips = np.stack([clip, clip[::-1]])
    sheet = contact_sheet(clips, tmp_path / "sheet.png", gap=2)
    assert sheet.shape == (2 * 24 + 2, 4 * 24 + 3 * 2, 3)
    np.testing.assert_array_equal(sheet[26:50, 26:50], clip[2])  # row 1 (reversed), column 1
    assert np.all(sheet[24:26] == 255)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "sheet.png")), sheet)


def test_unknown_inputs_fail_with_the_fix(tmp_path, clip):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_clip(tmp_path / "missing.mp4")
    (tmp_path / "clip.xyz").write_bytes(b"0")
    with pytest.raises(ValueError, match="folder of frames"):
        read_clip(tmp_path / "clip.xyz")
    with pytest.raises(ValueError, match=r"\(T, H, W, 3\)"):
        write_clip(clip[0], tmp_path / "a.gif")
