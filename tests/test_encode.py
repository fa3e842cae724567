import json

import numpy as np
import pytest
from pymatgen.core import Structure

from conftest import CURATE_OPTIONS, SHIPPED
from crystalgan.core.artifacts import CURATED, ENCODED_LONG, PAIRS, read_structures, read_table
from crystalgan.core.structures import decode_structure, encode_structure
from crystalgan.data.curate import curate
from crystalgan.data.encoding import encode


def _assert_same(a: Structure, b: Structure):
    assert np.allclose(a.lattice.matrix, b.lattice.matrix, atol=1e-5)
    for el in {x.specie.symbol for x in a}:
        ca = a.cart_coords[[x.specie.symbol == el for x in a]]
        cb = b.cart_coords[[x.specie.symbol == el for x in b]]
        assert ca.shape == cb.shape
        assert np.abs(ca - cb).max() < 1e-5


def _roundtrip_folder(folder, metal, a, b):
    at_origin = 0
    for path in sorted(folder.iterdir()):
        s = Structure.from_file(path)
        if "H" not in {x.specie.symbol for x in s}:
            continue
        x, counts = encode_structure(s, a, b)
        assert x.dtype == np.float32 and x.shape == (4, 18, 3)
        _assert_same(s, decode_structure(x, counts, a, b))
        at_origin += int((np.abs(s.cart_coords).sum(1) < 1e-9).any())
    return at_origin


def test_roundtrip_real_data_exact(real_data):
    at_origin = _roundtrip_folder(real_data / "PdH", "Pd", "Pd", "Ni")
    at_origin += _roundtrip_folder(real_data / "NiH", "Ni", "Pd", "Ni")
    assert at_origin >= 30  # atoms at the origin are real atoms, not padding


@pytest.mark.parametrize("metal,a,b", [("Pd", "Pd", "Ni"), ("Ti", "Mg", "Ti")])
def test_roundtrip_shipped_data_exact(metal, a, b):
    _roundtrip_folder(SHIPPED / f"{metal}H", metal, a, b)


def test_counts_not_zeros_mark_atoms():
    s = Structure([[3, 0, 0], [0, 3, 0], [0, 0, 3]], ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    x, counts = encode_structure(s, "Pd", "Ni")
    assert counts.tolist() == [1, 1, 0]
    assert not x[2, 0].any()  # the Pd atom sits at the origin ...
    back = decode_structure(x, counts, "Pd", "Ni")
    assert back.composition.formula == "H1 Pd1"  # ... and is kept


def test_encode_stage_writes_declared_artifacts(tmp_path):
    curate(SHIPPED / "MgH", SHIPPED / "TiH", "Mg", "Ti", tmp_path / "cur", CURATE_OPTIONS)
    cur = tmp_path / "cur"
    meta = encode(cur / "AH.parquet", cur / "BH.parquet", cur / "pairs.parquet", tmp_path / "enc", "MgTiH", "Mg", "Ti")
    n_a = len(read_table(cur / "AH.parquet", CURATED))
    x, counts = read_structures(tmp_path / "enc" / "AH.npy")
    assert x.shape == (n_a, 4, 18, 3) and counts.shape == (n_a, 3)
    assert (counts[:, 2] == 0).all() and (counts[:, 1] > 0).all()  # A-H: slot B empty
    _, cb = read_structures(tmp_path / "enc" / "BH.npy")
    assert (cb[:, 1] == 0).all() and (cb[:, 2] > 0).all()
    long = read_table(tmp_path / "enc" / "BH.parquet", ENCODED_LONG)
    assert len(long) == len(cb) * 3 + cb.sum()
    assert set(long["slot"]) == {"lattice", "H", "Ti"}
    written = json.loads((tmp_path / "enc" / "meta.json").read_text())
    assert written == meta and written["slots"] == ["lattice", "H", "Mg", "Ti"]
    pairs = read_table(cur / "pairs.parquet", PAIRS)
    assert written["partner"]["AH"] == pairs.loc[pairs["domain"] == "AH", "partner_index"].tolist()
