"""Artefact contracts: a stale, foreign or broken file between stages fails naming the file and the reason."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crystalgan.artifacts import (
    FILTERED,
    LOSSES,
    ArtifactError,
    read_run,
    read_structures,
    read_table,
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
