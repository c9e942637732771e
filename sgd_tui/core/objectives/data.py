"""FashionMNIST files: where they live, getting them, loading and checking them.

The files are torchvision's: four IDX files, gzipped, in ``<data dir>/FashionMNIST/raw/`` (the layout
``torchvision.datasets.FashionMNIST(root=<data dir>)`` and the lecture's ``root="data"`` use)::

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz  t10k-images-idx3-ubyte.gz  t10k-labels-idx1-ubyte.gz

Which data directory wins (first match):

1. ``--data-dir DIR`` on the command line (the CLI passes it as the objective option ``data_dir``);
2. ``data_dir`` in the scenario's ``[objective]`` table;
3. the environment variable ``SGD_TUI_DATA_DIR``;
4. the per-user cache ``$XDG_CACHE_HOME/sgd-tui`` (``~/.cache/sgd-tui`` when XDG_CACHE_HOME is unset).

Missing files are downloaded by torchvision (progress on stderr) when the network is there; offline,
missing, truncated or malformed files raise :class:`DataError` (a :class:`SetupError`: exit 2) with a
message that names the directory and the four files. torchvision reads the extracted (gunzipped) IDX
files, so :func:`prepare` gunzips each ``.gz`` next to itself (atomically, again when the ``.gz`` is newer).

:func:`write_fashion_like` writes synthetic data in the same format (class templates plus noise: learnable
but not trivial), for tests and for ``sgd-tui --bench`` on a machine without the real files.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgd_tui.core.errors import DataError

__all__ = ["FILES", "FashionData", "ENV_VAR", "default_data_dir", "resolve_data_dir", "raw_dir", "missing_files", "prepare", "download_fashion_mnist", "load_fashion_mnist", "write_idx_gz", "write_fashion_like", "describe_data", "SYNTHETIC_MARKER", "is_synthetic"]

ENV_VAR = "SGD_TUI_DATA_DIR"
# the IDX files by split: (images, labels), without the .gz suffix
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
GZ_NAMES = tuple(f + ".gz" for pair in FILES.values() for f in pair)
SYNTHETIC_MARKER = "SYNTHETIC"  # written next to the files by write_fashion_like
# torchvision's published md5 of the real files (torchvision.datasets.FashionMNIST.resources)
PUBLISHED_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
N_CLASSES = 10
SIDE = 28


# ----------------------------------------------------------------------------- where
def default_data_dir() -> Path:
    """``$SGD_TUI_DATA_DIR``, else ``$XDG_CACHE_HOME/sgd-tui``, else ``~/.cache/sgd-tui``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "sgd-tui"


def resolve_data_dir(option: str | os.PathLike | None = None) -> Path:
    """The data directory: the objective's ``data_dir`` option (set by ``--data-dir`` or the scenario)
    when given, else :func:`default_data_dir`. Relative paths are taken from the working directory."""
    if option:
        return Path(option).expanduser().absolute()
    return default_data_dir().absolute()


def raw_dir(root: Path) -> Path:
    """Where torchvision keeps the files under a data directory."""
    return Path(root) / "FashionMNIST" / "raw"


def _where_message(root: Path) -> str:
    """The ways forward, the quickest first (an app shows the start of a long message)."""
    return (
        f"to try the demos now, make a synthetic set (not FashionMNIST) with `sgd-tui --synthetic-data DIR` "
        f"and add `--data-dir DIR`; for the real data, put the four FashionMNIST files "
        f"({', '.join(GZ_NAMES)}) in {raw_dir(root)} or run `sgd-tui --download-data` with a network "
        f"(another directory: --data-dir or ${ENV_VAR})"
    )


def missing_files(root: Path) -> list[str]:
    """The ``.gz`` names for which neither the ``.gz`` nor the extracted file is in :func:`raw_dir`."""
    raw = raw_dir(root)
    return [gz for gz in GZ_NAMES if not (raw / gz).is_file() and not (raw / gz[:-3]).is_file()]


# ----------------------------------------------------------------------------- getting the files
def _extract(gz_path: Path) -> None:
    """Gunzip ``x.gz`` to ``x`` through a temporary file of this process (a failed run leaves no half file
    behind; the trials of a sweep may extract the same file at once: the last complete copy wins)."""
    target = gz_path.with_suffix("")
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        dst = open(tmp, "wb")
    except OSError as e:
        raise DataError(f"cannot extract {gz_path} next to itself ({e}); make {gz_path.parent} writable") from None
    try:
        with dst, gzip.open(gz_path, "rb") as src:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, target)
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        tmp.unlink(missing_ok=True)
        raise DataError(f"{gz_path}: not a readable gzip file ({e}); delete it (sgd-tui downloads it again) "
                        "or replace it with an intact copy") from None


def prepare(root: Path, download: bool = True) -> Path:
    """Make sure the four extracted IDX files exist in ``raw_dir(root)``; returns ``raw_dir(root)``.

    Extracts every ``.gz`` whose extracted file is missing or older; downloads missing files first when
    ``download`` (raises :class:`DataError` offline).
    """
    root = Path(root)
    if missing_files(root):
        if not download:
            missing = ", ".join(missing_files(root))
            raise DataError(f"FashionMNIST not found (missing {missing}): " + _where_message(root))
        download_fashion_mnist(root)
    raw = raw_dir(root)
    for gz in GZ_NAMES:
        src, out = raw / gz, raw / gz[:-3]
        if src.is_file() and (not out.is_file() or out.stat().st_mtime < src.stat().st_mtime):
            _extract(src)
    return raw


def download_fashion_mnist(root: Path) -> Path:
    """Download the missing FashionMNIST files into ``raw_dir(root)`` with torchvision (which checks their
    md5 and prints progress); returns ``raw_dir(root)``. Offline or on any download error: DataError."""
    from torchvision.datasets import FashionMNIST  # lazy: torchvision

    root = Path(root)
    missing = missing_files(root)
    if not missing:
        return raw_dir(root)
    try:
        raw_dir(root).mkdir(parents=True, exist_ok=True)
        for train in (True, False):
            FashionMNIST(str(root), train=train, download=True)
    except Exception as e:  # torchvision: RuntimeError("Error downloading ..."), URLError, OSError
        _remove_partial(root, missing)
        first = str(e).strip().splitlines()
        why = " ".join(line.strip() for line in first[:3])
        raise DataError(f"could not download FashionMNIST: {_where_message(root)}. The download said: {why}") from None
    return raw_dir(root)


def _remove_partial(root: Path, names: list[str]) -> None:
    """Delete the files among ``names`` that a failed download left without their published md5."""
    from torchvision.datasets import FashionMNIST  # lazy: torchvision
    from torchvision.datasets.utils import check_integrity  # lazy: torchvision

    md5 = dict(FashionMNIST.resources)
    for name in names:
        path = raw_dir(root) / name
        if path.is_file() and not check_integrity(str(path), md5.get(name)):
            path.unlink()


# ----------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class FashionData:
    """The whole data set on one device: images as uint8 (N, 784) rows in file order, labels int64 (N,)."""

    train_x: Any
    train_y: Any
    test_x: Any
    test_y: Any


def _load_split(root: Path, train: bool):
    """(images uint8 (N, 28, 28), labels int64 (N,)) through torchvision, checked."""
    from torchvision.datasets import FashionMNIST  # lazy: torchvision

    split = "train" if train else "test"
    names = ", ".join(str(raw_dir(root) / f) for f in FILES[split])
    try:
        ds = FashionMNIST(str(root), train=train, download=False)
        x, y = ds.data, ds.targets
    except Exception as e:  # torchvision's parser raises AssertionError, ValueError, RuntimeError, TypeError
        raise DataError(f"cannot read FashionMNIST {split} files ({names}): {type(e).__name__} {e}".rstrip()
                        + "; delete them and their .gz (sgd-tui downloads them again) or replace them with intact "
                        "copies") from None
    problems = []
    if tuple(x.shape[1:]) != (SIDE, SIDE):
        problems.append(f"images are {tuple(x.shape[1:])}, not 28x28")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        problems.append(f"{x.shape[0]} images but {tuple(y.shape)} labels")
    elif x.shape[0] == 0:
        problems.append("no images")
    elif int(y.min()) < 0 or int(y.max()) >= N_CLASSES:
        problems.append(f"labels outside 0..9 (min {int(y.min())}, max {int(y.max())})")
    if problems:
        raise DataError(f"malformed FashionMNIST {split} files ({names}): " + "; ".join(problems))
    return x, y.long()


_cache: dict[tuple, FashionData] = {}
_cache_lock = threading.Lock()


def load_fashion_mnist(root: Path, device: str = "cpu", download: bool = True) -> FashionData:
    """The data set on ``device`` (one copy per directory and device, shared by every run in the process).

    Files are found, fetched and extracted by :func:`prepare`; a changed file is loaded again.
    """
    import torch  # lazy: torch

    root = Path(root)
    with _cache_lock:
        raw = prepare(root, download=download)
        files = sorted(FILES["train"] + FILES["test"])
        stamp = tuple((f, (raw / f).stat().st_mtime_ns, (raw / f).stat().st_size) for f in files)
        key = (str(raw.resolve()), str(device))
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        tx, ty = _load_split(root, True)
        vx, vy = _load_split(root, False)
        dev = torch.device(device)
        data = FashionData(
            tx.reshape(tx.shape[0], SIDE * SIDE).to(dev),
            ty.to(dev),
            vx.reshape(vx.shape[0], SIDE * SIDE).to(dev),
            vy.to(dev),
        )
        _cache.pop(key, None)
        while len(_cache) >= 2:  # keep at most two sets resident (e.g. one per device)
            del _cache[next(iter(_cache))]
        _cache[key] = (stamp, data)
        return data


# ----------------------------------------------------------------------------- writing (synthetic data)
def write_idx_gz(path: Path, array) -> None:
    """Write a uint8 NumPy array as a gzipped IDX file: magic 0x0000 08 <ndim>, big-endian int32 sizes,
    then the bytes (the format of the MNIST/FashionMNIST files)."""
    import numpy as np  # lazy: numpy

    a = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header)
        f.write(a.tobytes())


def write_fashion_like(root: Path, n_train: int = 60_000, n_test: int = 10_000, seed: int = 0,
                       noise: float = 0.5) -> Path:
    """Write a synthetic FashionMNIST-format data set into ``raw_dir(root)``; returns ``root``.

    Each class c has a random smooth 28x28 template T_c in [0, 1]; an image of class c is
    ``255 · clip((1 - noise) T_c + noise U, 0, 1)`` with U uniform on [0, 1], then shifted by up to one pixel,
    so a linear model learns it but not at once. Labels cycle through a seeded permutation of the classes.
    """
    import numpy as np  # lazy: numpy

    rng = np.random.default_rng(seed)
    coarse = rng.random((N_CLASSES, 7, 7))
    templates = np.kron(coarse, np.ones((4, 4)))  # blocky 28x28 templates

    templates = templates.astype(np.float32)

    def split(n: int):
        labels = rng.permutation(np.arange(n) % N_CLASSES).astype(np.uint8)
        images = np.empty((n, SIDE, SIDE), dtype=np.uint8)
        for lo in range(0, n, 8192):  # in chunks: float copies of 60k images would take ~200 MB each
            lab = labels[lo : lo + 8192]
            imgs = (1.0 - noise) * templates[lab] + noise * rng.random((len(lab), SIDE, SIDE), dtype=np.float32)
            shifts = rng.integers(-1, 2, size=(len(lab), 2))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
                    imgs[sel] = np.roll(imgs[sel], (dy, dx), axis=(1, 2))
            images[lo : lo + 8192] = (np.clip(imgs, 0.0, 1.0) * 255.0).round()
        return images, labels

    raw = raw_dir(Path(root))
    raw.mkdir(parents=True, exist_ok=True)
    (raw / SYNTHETIC_MARKER).write_text(
        f"Synthetic data written by sgd-tui (write_fashion_like: n_train={n_train}, n_test={n_test}, seed={seed}, "
        f"noise={noise}), not FashionMNIST. Results on it say data: synthetic in summary.json.\n", encoding="utf-8")
    for name, n in (("train", n_train), ("test", n_test)):
        x, y = split(n)
        write_idx_gz(raw / (FILES[name][0] + ".gz"), x)
        write_idx_gz(raw / (FILES[name][1] + ".gz"), y)
    return Path(root)


def describe_data(root: Path) -> dict[str, Any]:
    """What a run's numbers depend on in a data directory: the folder, ``kind`` (``real`` when all four
    ``.gz`` files have torchvision's published md5, ``synthetic`` when :func:`write_fashion_like` wrote
    them, else ``other``) and each file's md5 (of the ``.gz``, or of the extracted file without it)."""

    raw = raw_dir(Path(root))
    files: dict[str, str | None] = {}
    for gz in GZ_NAMES:
        path = raw / gz if (raw / gz).is_file() else raw / gz[:-3]
        try:
            h = hashlib.md5(usedforsecurity=False)
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            files[path.name] = h.hexdigest()
        except OSError:
            files[path.name] = None
    if all(files.get(gz) == md5 for gz, md5 in PUBLISHED_MD5.items()):
        kind = "real"
    elif (raw / SYNTHETIC_MARKER).is_file():
        kind = "synthetic"
    else:
        kind = "other"
    return {"dir": str(root), "kind": kind, "md5": files}
def is_synthetic(root: Path | str | None) -> bool:
    """Whether the data directory (None: the default one) holds a synthetic set (:func:`write_fashion_like`
    left its marker)."""
    try:
        return (raw_dir(resolve_data_dir(root)) / SYNTHETIC_MARKER).is_file()
    except OSError:
        return False
