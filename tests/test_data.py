"""FashionMNIST files: the synthetic writer's format, loading through torchvision, where the data
directory is, and the missing / offline / corrupt cases (a DataError, exit 2 through the CLI)."""

from __future__ import annotations

import gzip
import os
import struct
import textwrap
import time

import numpy as np
import pytest
import torch
from fashion_data import block_network, make_fashion_dir

from sgd_tui.core.errors import SetupError
from sgd_tui.core.objectives import data as D

RAW = ("FashionMNIST", "raw")


def raw_of(root):
    return root.joinpath(*RAW)


def fashion_scenario(scenario_file, data_dir=None, device="cpu"):
    """A one-run FashionMNIST scenario file (logistic model, one epoch), written by conftest's factory."""
    line = f'data_dir = "{data_dir}"\n' if data_dir else ""
    return scenario_file(textwrap.dedent(f"""\
        schema = 1
        device = "{device}"
        [objective]
        name = "fashion_mnist"
        model = "logistic"
        """) + line + textwrap.dedent("""\
        [budget]
        epochs = 1
        log_every = 5
        [optimizer]
        name = "sgd"
        lr = 0.01
        batch_size = 32
        """), "fm.toml")


# ----------------------------------------------------------------------------- the format
def test_writer_produces_idx_gz_files_that_torchvision_reads(tmp_path):
    root = make_fashion_dir(tmp_path, n_train=300, n_test=70, seed=3)
    raw = raw_of(root)
    assert sorted(p.name for p in raw.iterdir()) == sorted([*D.GZ_NAMES, D.SYNTHETIC_MARKER])
    with gzip.open(raw / "train-images-idx3-ubyte.gz") as f:
        head = f.read(16)
    assert struct.unpack(">4B3I", head) == (0, 0, 8, 3, 300, 28, 28)  # magic 0x00000803, N, rows, cols
    with gzip.open(raw / "t10k-labels-idx1-ubyte.gz") as f:
        head, labels = f.read(8), np.frombuffer(f.read(), dtype=np.uint8)
    assert struct.unpack(">4BI", head) == (0, 0, 8, 1, 70) and len(labels) == 70 and labels.max() <= 9

    D.prepare(root, download=False)  # gunzips next to the .gz files
    from torchvision.datasets import FashionMNIST

    ds = FashionMNIST(str(root), train=True, download=False)
    data = D.load_fashion_mnist(root)
    assert torch.equal(data.train_x, ds.data.reshape(300, 784))
    assert torch.equal(data.train_y, ds.targets)
    assert data.test_x.shape == (70, 784) and data.train_x.dtype == torch.uint8
    assert set(data.train_y.tolist()) == set(range(10))  # every class present
    # the same seed writes the same bytes; another seed other images
    again = make_fashion_dir(tmp_path / "again", n_train=300, n_test=70, seed=3)
    assert torch.equal(D.load_fashion_mnist(again).train_x, data.train_x)
    other = make_fashion_dir(tmp_path / "other", n_train=300, n_test=70, seed=4)
    assert not torch.equal(D.load_fashion_mnist(other).train_x, data.train_x)


def test_loaded_data_is_cached_per_directory_and_reloaded_when_a_file_changes(tmp_path):
    root = make_fashion_dir(tmp_path, n_train=100, n_test=20, seed=0)
    first = D.load_fashion_mnist(root)
    assert D.load_fashion_mnist(root) is first  # one copy shared by every run
    time.sleep(0.01)
    make_fashion_dir(tmp_path, n_train=120, n_test=20, seed=1)  # newer .gz files: extracted again
    second = D.load_fashion_mnist(root)
    assert second is not first and second.train_x.shape[0] == 120


# ----------------------------------------------------------------------------- where the data lives
def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(D.ENV_VAR, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert D.resolve_data_dir(None) == tmp_path / "home" / ".cache" / "sgd-tui"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert D.resolve_data_dir(None) == tmp_path / "xdg" / "sgd-tui"
    monkeypatch.setenv(D.ENV_VAR, str(tmp_path / "env"))
    assert D.resolve_data_dir(None) == tmp_path / "env"
    assert D.resolve_data_dir(str(tmp_path / "option")) == tmp_path / "option"  # --data-dir / scenario win
    monkeypatch.chdir(tmp_path)
    assert D.resolve_data_dir("rel") == tmp_path / "rel"


def test_cli_data_dir_overrides_the_scenario(tmp_path, monkeypatch, capsys, cli_in_process, scenario_file):
    block_network(monkeypatch)
    good = make_fashion_dir(tmp_path / "good", n_train=64, n_test=32)
    scen = fashion_scenario(scenario_file, data_dir=tmp_path / "empty")
    code = cli_in_process(["--scenario", str(scen), "--headless", "--out", str(tmp_path / "out"),
                           "--data-dir", str(good)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "eval.csv").read_text().count("\n") == 2  # header + one epoch


# ----------------------------------------------------------------------------- missing, offline, corrupt
def test_missing_files_offline_is_a_data_error_naming_the_directory(tmp_path, monkeypatch):
    attempts = block_network(monkeypatch)
    with pytest.raises(D.DataError) as e:
        D.load_fashion_mnist(tmp_path)
    msg = str(e.value)
    assert isinstance(e.value, SetupError)
    assert str(raw_of(tmp_path)) in msg and all(name in msg for name in D.GZ_NAMES)
    assert "could not download" in msg and attempts  # it tried, and the test's block stopped it
    assert not any(p.is_file() for p in tmp_path.rglob("*"))  # nothing half-downloaded left behind


def test_missing_files_without_download_names_what_is_missing(tmp_path):
    make_fashion_dir(tmp_path, n_train=10, n_test=10)
    (raw_of(tmp_path) / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(D.DataError, match="missing t10k-labels-idx1-ubyte.gz"):
        D.prepare(tmp_path, download=False)


def test_cli_offline_missing_data_exits_2_with_where_to_put_the_files(tmp_path, monkeypatch, capsys, cli_in_process,
                                                                     scenario_file):
    block_network(monkeypatch)
    scen = fashion_scenario(scenario_file)
    data_dir = tmp_path / "nodata"
    code = cli_in_process(["--scenario", str(scen), "--headless", "--out", str(tmp_path / "out"),
                           "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(data_dir / "FashionMNIST" / "raw") in err and "train-images-idx3-ubyte.gz" in err
    assert "Traceback" not in err


def test_cli_download_data_offline_exits_2(tmp_path, monkeypatch, capsys, cli_in_process):
    block_network(monkeypatch)
    assert cli_in_process(["--download-data", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "could not download FashionMNIST" in err and str(raw_of(tmp_path)) in err and "Traceback" not in err


def test_a_failed_download_leaves_no_partial_file(tmp_path, monkeypatch):
    import urllib.error

    import torchvision.datasets.mnist as tv_mnist

    def half_then_fail(url, download_root, filename, md5):
        (tmp_path / "FashionMNIST" / "raw" / filename).write_bytes(b"\x1f\x8b half a file")
        raise urllib.error.URLError("connection reset")

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", half_then_fail)
    with pytest.raises(D.DataError, match="connection reset"):
        D.download_fashion_mnist(tmp_path)
    assert list(raw_of(tmp_path).iterdir()) == []


def test_download_with_files_present_does_not_touch_the_network(tmp_path, monkeypatch):
    attempts = block_network(monkeypatch)
    make_fashion_dir(tmp_path, n_train=10, n_test=10)
    assert D.download_fashion_mnist(tmp_path) == raw_of(tmp_path)
    assert attempts == []


def corrupt_truncated(raw):
    p = raw / "train-images-idx3-ubyte.gz"
    p.write_bytes(p.read_bytes()[:200])


def corrupt_flipped_bytes(raw):
    p = raw / "train-images-idx3-ubyte.gz"
    data = bytearray(p.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    p.write_bytes(bytes(data))


def corrupt_not_gzip(raw):
    (raw / "train-labels-idx1-ubyte.gz").write_bytes(b"<html>404 Not Found</html>")


def corrupt_bad_magic(raw):
    with gzip.open(raw / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\x12\x34\x56\x78" + bytes(100))


def corrupt_label_range(raw):
    D.write_idx_gz(raw / "t10k-labels-idx1-ubyte.gz", np.full(30, 12, dtype=np.uint8))


def corrupt_count_mismatch(raw):
    D.write_idx_gz(raw / "train-labels-idx1-ubyte.gz", np.zeros(7, dtype=np.uint8))


def corrupt_image_shape(raw):
    D.write_idx_gz(raw / "train-images-idx3-ubyte.gz", np.zeros((60, 32, 32), dtype=np.uint8))


@pytest.mark.parametrize("corrupt, words", [
    (corrupt_truncated, "not a readable gzip file"),
    (corrupt_flipped_bytes, "not a readable gzip file"),
    (corrupt_not_gzip, "not a readable gzip file"),
    (corrupt_bad_magic, "cannot read FashionMNIST test files"),
    (corrupt_label_range, "labels outside 0..9"),
    (corrupt_count_mismatch, "60 images but (7,) labels"),
    (corrupt_image_shape, "not 28x28"),
])
def test_corrupt_files_are_a_clear_data_error(tmp_path, monkeypatch, corrupt, words):
    attempts = block_network(monkeypatch)
    root = make_fashion_dir(tmp_path, n_train=60, n_test=30)
    time.sleep(0.01)
    corrupt(raw_of(root))
    with pytest.raises(D.DataError) as e:
        D.load_fashion_mnist(root)
    assert words in str(e.value)
    assert attempts == []  # files present: never a download
    assert not list(raw_of(root).glob("*.part"))


def test_cli_corrupt_file_exits_2_in_one_line(tmp_path, monkeypatch, capsys, cli_in_process, scenario_file):
    block_network(monkeypatch)
    root = make_fashion_dir(tmp_path / "d", n_train=60, n_test=30)
    corrupt_truncated(raw_of(root))
    code = cli_in_process(["--scenario", str(fashion_scenario(scenario_file)), "--headless",
                           "--out", str(tmp_path / "out"), "--data-dir", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and "train-images-idx3-ubyte.gz: not a readable gzip file" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_extracted_files_alone_are_enough(tmp_path, monkeypatch):
    """A directory the lecture's script filled (extracted IDX files, .gz removed) loads offline."""
    block_network(monkeypatch)
    root = make_fashion_dir(tmp_path, n_train=40, n_test=20)
    D.prepare(root)
    for gz in D.GZ_NAMES:
        os.remove(raw_of(root) / gz)
    assert D.load_fashion_mnist(root).train_x.shape == (40, 784)
