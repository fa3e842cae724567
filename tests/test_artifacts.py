"""Artefact contracts: a stale, foreign or broken file between stages fails naming the file and the reason."""

import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crystalgan.core.artifacts import (
    FILTERED,
    LOSSES,
    ArtifactError,
    DeviceFull,
    read_run,
    read_structures,
    read_table,
    write_json,
    write_structures,
    write_table,
)


def losses(n=2):
    return pd.DataFrame(
        {
            "stage": ["s"] * n,
            "epoch": np.arange(n, dtype=np.int32),
            "step": np.arange(n),
            "term": ["L_G"] * n,
            "value": np.ones(n),
        }
    )


def test_tables_round_trip_and_carry_their_run(tmp_path):
    run = {"system": "PdNiH", "method": "gan", "seed": 3, "A": "Pd", "B": "Ni"}
    write_table(losses(), tmp_path / "l.parquet", LOSSES, run)
    pd.testing.assert_frame_equal(read_table(tmp_path / "l.parquet", LOSSES), losses())
    assert read_run(tmp_path / "l.parquet") == run


def test_schema_errors_name_the_file_and_the_column(tmp_path):
    path = tmp_path / "losses.parquet"
    with pytest.raises(ArtifactError, match=r"losses.parquet: no such file \(run the stage that writes it first\)"):
        read_table(path, LOSSES)
    with pytest.raises(ArtifactError, match=r"losses.parquet: table lacks columns \['value'\]"):
        write_table(losses().drop(columns="value"), path, LOSSES)
    assert not path.exists(), "a refused write leaves nothing behind"
    wrong = LOSSES.set(LOSSES.get_field_index("epoch"), pa.field("epoch", pa.float64()))
    pq.write_table(
        pa.Table.from_pandas(losses().astype({"epoch": "float64"}), schema=wrong, preserve_index=False), path
    )
    with pytest.raises(ArtifactError, match="losses.parquet: column 'epoch' is double, expected int32"):
        read_table(path, LOSSES)
    with pytest.raises(ArtifactError, match="losses.parquet: column 'candidate' missing"):
        read_table(path, FILTERED)
    with pytest.raises(ArtifactError, match="losses.parquet: no run metadata"):
        read_run(path)


def test_tensor_errors_name_the_file(tmp_path):
    x, c = np.zeros((2, 4, 18, 3), np.float32), np.ones((2, 3), np.int32)
    write_structures(x, c, tmp_path / "AH.npy")
    got, counts = read_structures(tmp_path / "AH.npy", tmp_path / "AH_counts.npy")
    assert got.shape == (2, 4, 18, 3) and counts.tolist() == [[1, 1, 1]] * 2
    np.save(tmp_path / "BH.npy", x.astype(np.float64))
    with pytest.raises(ArtifactError, match="BH.npy: dtype float64, expected float32"):
        read_structures(tmp_path / "BH.npy", tmp_path / "AH_counts.npy")
    np.save(tmp_path / "BH.npy", np.zeros((2, 4, 17, 3), np.float32))
    with pytest.raises(ArtifactError, match=r"BH.npy: shape \(2, 4, 17, 3\), expected \[..., 4, 18, 3\]"):
        read_structures(tmp_path / "BH.npy", tmp_path / "AH_counts.npy")
    np.save(tmp_path / "BH.npy", np.zeros((3, 4, 18, 3), np.float32))
    with pytest.raises(ArtifactError, match="BH.npy: 3 structures .* but counts .*AH_counts.npy of shape"):
        read_structures(tmp_path / "BH.npy", tmp_path / "AH_counts.npy")
    with pytest.raises(ArtifactError, match="BH_counts.npy: no such file"):
        read_structures(tmp_path / "BH.npy")


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_written_files_follow_the_umask_like_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_table(losses(), tmp_path / "l.parquet", LOSSES)
        write_structures(np.zeros((1, 4, 18, 3), np.float32), np.ones((1, 3), np.int32), tmp_path / "AH.npy")
        write_json({"a": 1}, tmp_path / "meta.json")
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(old)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(
        ["l.parquet", "AH.npy", "AH_counts.npy", "meta.json", "plain.txt"], oct(0o666 & ~umask)
    )


@pytest.fixture
def full_device(tmp_path):
    """A 64 KiB tmpfs: writing more fills the device."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here to make a tiny tmpfs")
    folder = tmp_path / "tiny"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip() or 'mount failed'}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_device_is_named_and_leaves_the_old_file(full_device):
    path = full_device / "AH.npy"
    write_structures(np.ones((2, 4, 18, 3), np.float32), np.ones((2, 3), np.int32), path)
    big = np.ones((100, 4, 18, 3), np.float32)
    expected = f"no space left on the device holding {full_device} while writing {path} ("
    with pytest.raises(DeviceFull, match=re.escape(expected)):
        write_structures(big, np.ones((100, 3), np.int32), path)
    assert np.load(path).shape == (2, 4, 18, 3)
    with pytest.raises(DeviceFull, match=r"meta.json \(\d+ bytes, \d+ bytes free\); the file is unchanged"):
        write_json({"x": "y" * 100_000}, full_device / "meta.json")
    table = losses(20_000).assign(value=np.random.default_rng(0).random(20_000))  # 160 kB that do not compress
    with pytest.raises(DeviceFull, match="l.parquet"):
        write_table(table, full_device / "l.parquet", LOSSES)
    assert sorted(p.name for p in full_device.iterdir()) == ["AH.npy", "AH_counts.npy"]
