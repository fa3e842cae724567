import numpy as np
import pytest
from ase.io import read as ase_read
from pymatgen.core import Structure

from conftest import CURATE_OPTIONS, GEOMETRY, SHIPPED, TRAIN_OPTIONS, domain
from crystalgan.core.artifacts import read_json, read_structures
from crystalgan.core.structures import decode_structure
from crystalgan.data.curate import curate
from crystalgan.data.encoding import encode
from crystalgan.data.transfer import transfer
from crystalgan.gan.generate import generate
from crystalgan.gan.stage1 import train_stage1
from crystalgan.gan.stage2 import train_stage2
from crystalgan.settings import Geometry, Train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("gen")
    cur, enc, tr = root / "cur", root / "enc", root / "tr"
    curate(SHIPPED / "MgH", SHIPPED / "TiH", "Mg", "Ti", cur, CURATE_OPTIONS)
    encode(cur / "AH.parquet", cur / "BH.parquet", cur / "pairs.parquet", enc, "MgTiH", "Mg", "Ti")
    train = Train.of(TRAIN_OPTIONS)
    s1_args = dict(out=root / "s1", checkpoints=root / "ck1", train=train, seed=0, threads=1)
    train_stage1(domain(enc, "AH"), domain(enc, "BH"), **s1_args)
    s1 = root / "s1"
    transfer(
        enc / "meta.json",
        domain(enc, "AH"),
        domain(enc, "BH"),
        domain(s1, "x_AHBA1"),
        domain(s1, "y_BHAB1"),
        tr,
        "split",
    )
    for method in ("gan", "crystalgan"):
        train_stage2(
            domain(tr, "AHB_g"),
            domain(tr, "BHA_g"),
            out=root / method,
            checkpoints=root / f"ck_{method}",
            method=method,
            train=train,
            geometry=Geometry.of(GEOMETRY),
            seed=0,
            threads=1,
            curated=(cur / "AH.parquet", cur / "BH.parquet"),
            meta=enc / "meta.json",
        )
    return root


def _generate(root, method, out, samples, seed=0):
    if method == "discogan":
        model, inputs = root / "s1", (domain(root / "enc", "AH"), domain(root / "enc", "BH"))
    else:
        model, inputs = root / method, (domain(root / "tr", "AHB_g"), domain(root / "tr", "BHA_g"))
    generate(
        model / "model.json",
        model / "weights.weights.h5",
        inputs,
        meta=root / "enc" / "meta.json",
        out=out,
        samples=samples,
        noise=0.05,
        seed=seed,
        method=method,
    )
    return read_structures(out / "candidates.npy")


def test_poscars_read_back_identically_with_pymatgen_and_ase(trained, tmp_path):
    x, counts = _generate(trained, "crystalgan", tmp_path / "c", 12)
    for k in range(12):
        expected = decode_structure(x[k], counts[k], "Mg", "Ti")
        path = tmp_path / "c" / "poscar" / f"cand_{k:06d}.vasp"
        s = Structure.from_file(path)
        assert [e.specie.symbol for e in s] == [e.specie.symbol for e in expected]
        np.testing.assert_allclose(s.lattice.matrix, expected.lattice.matrix, atol=1e-6)
        np.testing.assert_allclose(s.cart_coords, expected.cart_coords, atol=1e-6)
        atoms = ase_read(path, format="vasp")
        assert atoms.get_chemical_symbols() == [e.specie.symbol for e in s]
        np.testing.assert_allclose(atoms.cell[:], s.lattice.matrix, atol=1e-6)
        np.testing.assert_allclose(atoms.positions, s.cart_coords, atol=1e-6)


@pytest.mark.parametrize("method", ["discogan", "crystalgan", "gan"])
def test_sampling_is_seeded_and_stochastic(trained, tmp_path, method):
    n = 4 * 35
    x, counts = _generate(trained, method, tmp_path / "a", n)
    again, _ = _generate(trained, method, tmp_path / "b", n)
    other, _ = _generate(trained, method, tmp_path / "c", n, seed=1)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)
    distinct = len({np.round(v, 4).tobytes() for v in x})
    assert distinct == n, "every sample must be a different structure"
    info = read_json(tmp_path / "a" / "candidates.json")
    assert info["samples"] == n and info["method"] == method
    if method == "discogan":
        assert ((counts[:, 1] == 0) | (counts[:, 2] == 0)).all()  # stage 1 makes binaries
    else:
        assert (counts > 0).all()  # stage 2 makes ternaries


def test_merge_joins_close_atoms_of_one_element_across_the_cell_boundary():
    from pymatgen.core import Lattice

    from crystalgan.core.structures import encode_structure
    from crystalgan.gan.generate import merge_close_atoms

    s = Structure(
        Lattice.cubic(5.0),
        ["H", "H", "H", "Mg", "Ti"],
        [[0.1, 1, 1], [4.8, 1, 1], [2.5, 2.5, 2.5], [1.0, 1.2, 1.0], [3, 3, 3]],
        coords_are_cartesian=True,
    )  # H0 and H1 0.3 A apart through the boundary; Mg 0.2 A from H0 is another element
    x, c = encode_structure(s, "Mg", "Ti")
    collapsed = x.copy()
    collapsed[0, :3] *= 0.01
    xs, cs, merged = merge_close_atoms(np.stack([x, collapsed]), np.stack([c, c]), ("Mg", "Ti"), 0.5)
    assert merged.tolist() == [1, 0] and cs.tolist() == [[2, 1, 1], [3, 1, 1]]
    np.testing.assert_array_equal(xs[1], collapsed)  # a collapsed cell is left alone
    out = decode_structure(xs[0], cs[0], "Mg", "Ti")
    h = sorted(site.coords[0] % 5.0 for site in out if site.specie.symbol == "H")
    assert h == pytest.approx([2.5, 4.95], abs=1e-6)  # the pair's periodic midpoint, -0.05 A
    assert not xs[0, 1, 2:].any(), "rows freed by the merge are zero"
    _, _, none = merge_close_atoms(x[None], c[None], ("Mg", "Ti"), 0.2)
    assert none.tolist() == [0]


def test_generate_records_merged_atoms_per_candidate(trained, tmp_path):
    generate(
        trained / "crystalgan" / "model.json",
        trained / "crystalgan" / "weights.weights.h5",
        (domain(trained / "tr", "AHB_g"), domain(trained / "tr", "BHA_g")),
        meta=trained / "enc" / "meta.json",
        out=tmp_path,
        samples=12,
        noise=0.05,
        seed=0,
        method="crystalgan",
        merge=1.0,
    )
    info = read_json(tmp_path / "candidates.json")
    _, counts = read_structures(tmp_path / "candidates.npy")
    _, plain_counts = _generate(trained, "crystalgan", tmp_path / "plain", 12)
    assert info["merge"] == 1.0 and len(info["merged"]) == 12
    np.testing.assert_array_equal(plain_counts.sum(1) - counts.sum(1), info["merged"])
