"""The baselines (substitution, random, prototype), the compositions they search and the library
of ternary structure types, on the shipped Mg-H and Ti-H data (no training)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from conftest import domain, encode_shipped
from crystalgan.core.artifacts import MAX_ATOMS, read_json, read_structures
from crystalgan.core.compositions import ENUMERATED, H_PER_METAL, MAX_CELL_ATOMS, FormulaUnit, parse_formula
from crystalgan.core.structures import decode_structure
from crystalgan.data.baselines import baseline
from crystalgan.data.prototypes import hydride_volume
from crystalgan.data.ternary_types import decorations, ternary_types


@pytest.fixture(scope="module")
def encoded(tmp_path_factory):
    """The encoded Mg-H and Ti-H binaries of the shipped data."""
    return encode_shipped(tmp_path_factory.mktemp("baselines"), "Mg", "Ti")


def _baseline(enc, method, out, samples, seed=0, **units):
    baseline(method, enc / "meta.json", (domain(enc, "AH"), domain(enc, "BH")), out, samples, seed, **units)
    return read_structures(out / "candidates.npy")


def _unit(counts) -> FormulaUnit:
    """The reduced formula unit of a cell's atom counts (n_H, n_A, n_B)."""
    n_h, n_a, n_b = (int(n) for n in counts)
    g = math.gcd(n_a, n_b, n_h)
    return FormulaUnit(n_a // g, n_b // g, n_h // g)


def test_the_enumeration_holds_both_metal_orders_its_h_bounds_and_cells_that_fit_the_tensor():
    assert len(set(ENUMERATED)) == len(ENUMERATED) == 85
    assert {(u.a, u.b) for u in ENUMERATED} == {(a, b) for a in (1, 2, 3) for b in (1, 2, 3)}
    assert all(FormulaUnit(u.b, u.a, u.h) in ENUMERATED for u in ENUMERATED)  # A2B and AB2 alike
    assert {"A2BH6", "AB2H6", "ABH", "A3BH12", "A2B3H15"} <= {u.formula for u in ENUMERATED}
    assert not {"ABH7", "A2BH", "A2B2H6", "A4BH8"} & {u.formula for u in ENUMERATED}
    assert min(u.h / (u.a + u.b) for u in ENUMERATED) == H_PER_METAL[0]
    assert max(u.h / (u.a + u.b) for u in ENUMERATED) == H_PER_METAL[1]
    assert all(math.gcd(*u) == 1 for u in ENUMERATED)  # each reduced formula once
    for u in ENUMERATED:
        assert parse_formula(u.formula) == u
        largest = u.counts(u.max_units())
        assert max(largest) <= MAX_ATOMS and sum(largest) <= MAX_CELL_ATOMS
        assert sum(u.counts(u.max_units() + 1)) > MAX_CELL_ATOMS or max(u.counts(u.max_units() + 1)) > MAX_ATOMS


@pytest.mark.parametrize("text", ["A2XH6", "BAH", "A2BH0", "A02BH", "AB", "A19BH", "a2bh6", "Mg2FeH6", 6])
def test_a_bad_formula_unit_is_refused_saying_what_a_formula_unit_is(text):
    with pytest.raises(ValueError, match=r"is not a formula unit such as 'A2BH6'"):
        parse_formula(text)


def test_the_random_baseline_draws_the_listed_compositions_with_the_hydride_volume_seeded(encoded, tmp_path):
    units = (parse_formula("A2BH6"), parse_formula("AB2H4"))
    x, c = _baseline(encoded, "random", tmp_path / "a", 8, units=units)
    assert len(x) == 8 and {_unit(counts) for counts in c} == set(units)  # both drawn, nothing else
    for k in range(8):
        s = decode_structure(x[k], c[k], "Mg", "Ti")
        assert s.volume == pytest.approx(hydride_volume(s.composition), rel=1e-5)
    again, _ = _baseline(encoded, "random", tmp_path / "b", 8, units=units)
    other, _ = _baseline(encoded, "random", tmp_path / "c", 8, seed=1, units=units)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)
    _, enumerated = _baseline(encoded, "random", tmp_path / "d", 12)
    assert {_unit(counts) for counts in enumerated} <= set(ENUMERATED)


@pytest.mark.parametrize("t", ternary_types(), ids=lambda t: t.name)
def test_every_ternary_type_builds_with_its_formula_space_group_and_sane_distances(t):
    unit = parse_formula(t.formula)
    assert t.source and t.reference
    cell = t.reference_cell("Mg", "Fe")
    assert SpacegroupAnalyzer(cell, symprec=0.01).get_space_group_number() == t.spacegroup
    for site in cell:
        if site.specie.symbol == "H":
            nearest = {}  # element -> its nearest atom's distance
            for n in cell.get_neighbors(site, 3.5):
                nearest[n.specie.symbol] = min(nearest.get(n.specie.symbol, 3.5), n.nn_distance)
            assert 1.45 <= min(nearest.get("Mg", 3.5), nearest.get("Fe", 3.5)) <= 2.4, nearest
            assert nearest.get("H", 3.5) >= 2.0, nearest
    for metal_a, metal_b in (("Mg", "Fe"), ("Fe", "Mg")):
        s = t.structure(metal_a, metal_b)
        n = s.composition
        units = n["H"] / unit.h
        assert units == int(units) and (n[metal_a], n[metal_b]) == (unit.a * units, unit.b * units)
        assert max(n.values()) <= MAX_ATOMS
        assert SpacegroupAnalyzer(s, symprec=0.01).get_space_group_number() == t.spacegroup
    # the reference's metals give the measured cell; others scale it as the volume model does
    measured = (
        Lattice.from_parameters(*t.lattice).volume * len(t.structure(*t.metals)) / len(t.reference_cell(*t.metals))
    )
    assert t.structure(*t.metals).volume == pytest.approx(measured)
    mgfe, csca = t.structure("Mg", "Fe"), t.structure("Cs", "Ca")
    assert csca.volume / mgfe.volume == pytest.approx(
        hydride_volume(csca.composition) / hydride_volume(mgfe.composition)
    )


def test_the_prototype_baseline_writes_every_decoration_once_as_the_library_builds_it(encoded, tmp_path):
    library = decorations("Mg", "Ti")
    assert len(library) == 2 * len(ternary_types())
    x, c = _baseline(encoded, "prototype", tmp_path / "all", 1000)
    assert len(x) == len(library) and read_json(tmp_path / "all" / "candidates.json")["samples"] == len(library)
    matcher = StructureMatcher()
    for k, (t, expected) in enumerate(library):
        s = decode_structure(x[k], c[k], "Mg", "Ti")
        assert s.composition == expected.composition
        assert matcher.fit(s, expected), f"candidate {k} is not {t.name}"
    for (t, s), (_, swapped) in zip(library[0::2], library[1::2]):  # both metal orders, different crystals
        assert not matcher.fit(s, swapped), t.name
    first, _ = _baseline(encoded, "prototype", tmp_path / "few", 3, seed=5)
    np.testing.assert_array_equal(first, x[:3])


def test_substitution_baseline_swaps_metal_sites_of_training_binaries(encoded, tmp_path):
    x, c = _baseline(encoded, "substitution", tmp_path / "sub", 70)
    xa, ca = read_structures(encoded / "AH.npy")
    assert (c[:, 0] > 0).all() and (c[:, 1] > 0).all() and (c[:, 2] > 0).all()
    for k in range(0, min(70, 2 * len(xa)), 2):  # even samples come from A-H structure k // 2, same H atoms
        i = k // 2
        if ca[i, 1] > 1:  # not doubled: same cell, same metal sites
            np.testing.assert_array_equal(x[k, 0], xa[i, 0])
            sites = np.vstack([x[k, 2, : c[k, 1]], x[k, 3, : c[k, 2]]])
            assert sorted(map(tuple, sites)) == sorted(map(tuple, xa[i, 2, : ca[i, 1]]))


def test_the_baseline_command_takes_the_compositions_as_formula_units(encoded, tmp_path, capsys):
    from crystalgan.cli import main

    args = ["baseline", "--meta", str(encoded / "meta.json"), "--ah", *map(str, domain(encoded, "AH"))]
    args += ["--bh", *map(str, domain(encoded, "BH")), "--samples", "4"]
    assert main([*args, "--method", "random", "--compositions", "ABH3", "--out", str(tmp_path / "r")]) == 0
    assert {_unit(counts) for counts in read_structures(tmp_path / "r" / "candidates.npy")[1]} == {FormulaUnit(1, 1, 3)}
    assert main([*args, "--method", "prototype", "--out", str(tmp_path / "p")]) == 0
    assert read_json(tmp_path / "p" / "candidates.json")["method"] == "prototype"
    with pytest.raises(SystemExit):
        main([*args, "--method", "random", "--compositions", "A2XH6", "--out", str(tmp_path / "x")])
    assert "'A2XH6' is not a formula unit" in capsys.readouterr().err
