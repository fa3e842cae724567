"""Feature transfer: the stage-2 training ternaries built from the binaries and stage 1's outputs."""

import json

import numpy as np
import pytest

from conftest import domain
from crystalgan.core.artifacts import read_json, read_structures, write_structures
from crystalgan.data.transfer import transfer


def structure(lattice, h=(), a=(), b=()):
    x = np.zeros((4, 18, 3), np.float32)
    x[0, :3] = lattice
    counts = []
    for slot, atoms in ((1, h), (2, a), (3, b)):
        atoms = np.asarray(atoms, np.float32).reshape(-1, 3)
        x[slot, : len(atoms)] = atoms
        counts.append(len(atoms))
    return x, np.array(counts, np.int32)


def write_domain(folder, name, structures):
    xs, cs = zip(*structures)
    write_structures(np.stack(xs), np.stack(cs), folder / f"{name}.npy")
    return domain(folder, name)


@pytest.fixture()
def binaries(tmp_path):
    """Two A-H and two B-H binaries (A-H 1 has a single metal atom) and stage 1's cycle outputs."""
    cube, wide = np.eye(3) * 4.0, np.diag([6.0, 4.0, 4.0])
    ah = [
        structure(cube, h=[[2, 2, 2]], a=[[0, 0, 0], [2, 2, 0]]),
        structure(cube, h=[[2, 2, 2]], a=[[0, 0, 0]]),
    ]
    bh = [
        structure(cube, h=[[2, 2, 2], [0, 2, 2]], b=[[0, 0, 0], [2, 2, 0]]),
        structure(wide, h=[[3, 2, 2]], b=[[0, 0, 0]]),
    ]
    # Stage 1's cycles: x_AHBA1 (A side, back in A) and y_BHAB1 (B side, back in B), slightly moved.
    rec_b = [
        structure(cube, h=[[2, 2, 2], [0, 2, 2]], b=[[0.2, 0, 0], [2.3, 2, 0]]),
        structure(wide, h=[[3, 2, 2]], b=[[0.3, 0, 0]]),
    ]
    rec_a = [
        structure(cube, h=[[2, 2, 2]], a=[[0, 0.1, 0], [2, 2.2, 0]]),
        structure(cube, h=[[2, 2, 2]], a=[[0, 0, 0]]),
    ]
    enc, s1 = tmp_path / "enc", tmp_path / "s1"
    meta = {"system": "PdNiH", "A": "Pd", "B": "Ni", "partner": {"AH": [0, 1], "BH": [0, 1]}}
    enc.mkdir()
    (enc / "meta.json").write_text(json.dumps(meta))
    files = {
        "meta": enc / "meta.json",
        "ah": write_domain(enc, "AH", ah),
        "bh": write_domain(enc, "BH", bh),
        "rec_a": write_domain(s1, "x_AHBA1", rec_a),
        "rec_b": write_domain(s1, "y_BHAB1", rec_b),
    }
    return files


def run(binaries, out, mode, ternaries=()):
    b = binaries
    summary = transfer(b["meta"], b["ah"], b["bh"], b["rec_a"], b["rec_b"], out, mode, ternaries)
    return summary, read_structures(*domain(out, "AHB_g")), read_structures(*domain(out, "BHA_g"))


def test_stack_keeps_every_metal_and_adds_every_generated_one(binaries, tmp_path):
    summary, (x, c), (y, cy) = run(binaries, tmp_path / "tr", "stack")
    assert summary["AHB_g"] == {"structures": 2, "skipped": 0, "library": 0} and summary["mode"] == "stack"
    assert c.tolist() == [[1, 2, 2], [1, 1, 1]]
    np.testing.assert_allclose(x[0, 2, :2], [[0, 0, 0], [2, 2, 0]])  # A sites kept
    np.testing.assert_allclose(x[0, 3, :2], [[0.2, 0, 0], [2.3, 2, 0]], atol=1e-6)  # B from y_BHAB1[0]
    # y_BHAB1[1] lives in a 6 A cell: mapped by fractional coordinates into the 4 A host cell.
    np.testing.assert_allclose(x[1, 3, 0], [0.3 / 6 * 4, 0, 0], atol=1e-6)
    assert cy.tolist() == [[2, 2, 2], [1, 1, 1]]  # the mirror side: B-H hosts with A from x_AHBA1
    np.testing.assert_allclose(y[0, 2, :2], [[0, 0.1, 0], [2, 2.2, 0]], atol=1e-6)
    assert read_json(tmp_path / "tr" / "counts.json") == summary


def test_split_gives_every_other_metal_site_to_the_other_metal(binaries, tmp_path):
    _summary, (x, c), (y, cy) = run(binaries, tmp_path / "tr", "split")
    assert c[0].tolist() == [1, 1, 1]
    np.testing.assert_allclose(x[0, 2, 0], [0, 0, 0])  # site 0 stays A
    np.testing.assert_allclose(x[0, 3, 0], [2.3, 2, 0], atol=1e-6)  # site 1 snaps to the generated B within 1 A
    # A single-metal host is doubled along its shortest vector first; the B atom takes the copy's site.
    assert c[1].tolist() == [2, 1, 1]
    np.testing.assert_allclose(x[1, 0, :3], np.diag([8.0, 4.0, 4.0]))
    np.testing.assert_allclose(x[1, 1, :2], [[2, 2, 2], [6, 2, 2]])
    np.testing.assert_allclose(x[1, 3, 0], [4.0 + 0.3 / 6 * 4, 0, 0], atol=1e-6)
    assert cy[0].tolist() == [2, 1, 1]
    np.testing.assert_allclose(y[0, 3, 0], [0, 0, 0])  # B site 0 kept
    np.testing.assert_allclose(y[0, 2, 0], [2, 2.2, 0], atol=1e-6)  # A from x_AHBA1 near site 1


def test_split_keeps_the_site_where_no_generated_atom_is_near(binaries, tmp_path):
    far = tmp_path / "far"
    x, c = read_structures(*binaries["rec_b"])
    x[0, 3, 1] = [2.0, 0.0, 2.0]  # 2.8 A from site (2, 2, 0): beyond the 1 A snap
    binaries["rec_b"] = write_domain(far, "y_BHAB1", list(zip(x, c)))
    _, (x, _), _ = run(binaries, tmp_path / "tr", "split")
    np.testing.assert_allclose(x[0, 3, 0], [2, 2, 0])


def test_structures_that_do_not_fit_are_skipped_and_counted(binaries, tmp_path):
    x, c = read_structures(*binaries["ah"])
    x[1, 1, :10] = np.random.default_rng(0).uniform(0, 4, (10, 3))
    c[1, 0] = 10  # 10 H in a one-metal cell: doubling it makes 20 H, more than 18
    binaries["ah"] = write_domain(tmp_path / "big", "AH", list(zip(x, c)))
    summary, (x, _), _ = run(binaries, tmp_path / "tr", "split")
    assert summary["AHB_g"] == {"structures": 1, "skipped": 1, "library": 0} and len(x) == 1


def test_unknown_mode_is_refused(binaries, tmp_path):
    with pytest.raises(ValueError, match="unknown transfer mode 'swap'"):
        run(binaries, tmp_path / "tr", "swap")


def test_ternary_types_come_first_with_the_metals_in_both_roles(binaries, tmp_path):
    from crystalgan.core.structures import decode_structure

    summary, (x, c), (_, cy) = run(binaries, tmp_path / "tr", "split", ["perovskite", "K2PtCl6"])
    assert summary["ternaries"] == ["perovskite", "K2PtCl6"]
    assert summary["AHB_g"] == {"structures": 4, "skipped": 0, "library": 2}
    # counts (n_H, n_Pd, n_Ni): role A (the K2PtCl6 type's 2 per unit) is Pd in AHB_g, Ni in BHA_g
    assert c[:2].tolist() == [[3, 1, 1], [6, 2, 1]] and cy[:2].tolist() == [[3, 1, 1], [6, 1, 2]]
    assert c[2:].tolist() == [[1, 1, 1], [2, 1, 1]]  # then the transferred binaries, as without
    k2ptcl6 = decode_structure(x[1], c[1], "Pd", "Ni")
    assert k2ptcl6.get_space_group_info()[1] == 225
    (ni,) = [site for site in k2ptcl6 if site.specie.symbol == "Ni"]
    assert len(k2ptcl6.get_neighbors(ni, 2.0)) == 6  # the NiH6 octahedron


def test_all_takes_the_whole_library_and_an_unknown_type_is_refused(binaries, tmp_path):
    from crystalgan.data.ternary_types import ternary_types

    summary, (x, _), _ = run(binaries, tmp_path / "all", "split", "all")
    assert summary["ternaries"] == [t.name for t in ternary_types()] and len(x) == len(ternary_types()) + 2
    with pytest.raises(ValueError, match=r"\['spinel'\] are not in ternary_types.yaml"):
        run(binaries, tmp_path / "bad", "split", ["perovskite", "spinel"])
