"""Fetching published files: a local file:// URL stands in for figshare."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from pipeline.download import fetch, read_file_list


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name in members:
            archive.writestr(name, "x")
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_fetch_checks_md5_and_unzips_the_declared_files(tmp_path):
    src = tmp_path / "net.zip"
    md5 = _zip(src, ["gen/generator_relu7.pt", "gen/act_range/3x/relu7.txt"])
    out = tmp_path / "data"
    wanted = [str(out / "gen/generator_relu7.pt"), str(out / "gen/act_range/3x/relu7.txt")]
    fetch(src.as_uri(), out / "net.zip", md5, str(out), wanted)
    assert (out / "gen/act_range/3x/relu7.txt").read_text() == "x"
    assert hashlib.md5((out / "net.zip").read_bytes()).hexdigest() == md5


def test_archive_without_a_declared_file_lists_what_it_holds(tmp_path):
    src = tmp_path / "net.zip"
    md5 = _zip(src, ["gen/act_range/3x/relu7.txt"])
    with pytest.raises(FileNotFoundError, match=r"yields no \[.*act_range_relu7\.npy'\]; it holds "
                                                r"gen/act_range/3x/relu7\.txt: fix 'files'"):  # fmt: skip
        fetch(src.as_uri(), tmp_path / "net.zip.copy", md5, str(tmp_path / "u"),
              [str(tmp_path / "u/gen/act_range_relu7.npy")])  # fmt: skip


def test_file_list_of_the_authors(tmp_path):
    good = tmp_path / "list.csv"
    good.write_text("estimated_vgg19_cnn_feat_std.mat,13004384,080d8a320f0615bebaf8cfba7d78e008\n")
    assert read_file_list(good) == {
        "estimated_vgg19_cnn_feat_std.mat": ("13004384", "080d8a320f0615bebaf8cfba7d78e008")
    }
    bad = tmp_path / "bad.csv"
    bad.write_text("a.zip,1\n")
    with pytest.raises(ValueError, match=r"bad\.csv:1: expected 'name,figshare id,md5'"):
        read_file_list(bad)
