"""The A-B intermetallic structure types of the hull: each in its space group, with its
stoichiometry, decorated both ways and scaled to the elements' volumes."""

import numpy as np
import pytest
from pymatgen.core import Composition
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from crystalgan.data.intermetallics import TYPES, library
from crystalgan.data.prototypes import atomic_volume

# Strukturbericht type: (formula of the first:second decoration, atoms in the primitive cell)
EXPECTED = {
    "B2_CsCl": ("FeTi", 2),
    "L1_0_CuAu": ("FeTi", 2),
    "L1_1_CuPt": ("FeTi", 2),
    "L1_2_Cu3Au": ("Fe3Ti", 4),
    "D0_3_BiF3": ("Fe3Ti", 4),
    "D0_19_Ni3Sn": ("Fe3Ti", 8),
    "A15_Cr3Si": ("Fe3Ti", 8),
    "C15_MgCu2": ("Fe2Ti", 6),
    "C14_MgZn2": ("Fe2Ti", 12),
    "C32_AlB2": ("Fe2Ti", 3),
    "C11b_MoSi2": ("Fe2Ti", 3),
    "D2_d_CaCu5": ("Fe5Ti", 6),
}


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.name)
def test_each_type_has_its_space_group_stoichiometry_and_volume(kind):
    s = kind.structure("Fe", "Ti")
    formula, atoms = EXPECTED[kind.name]
    assert s.composition.reduced_composition == Composition(formula).reduced_composition
    assert len(s) == atoms
    assert SpacegroupAnalyzer(s, symprec=1e-3).get_space_group_symbol() == kind.spacegroup
    assert s.volume == pytest.approx(sum(atomic_volume(x.specie.symbol) for x in s))
    distances = s.distance_matrix + np.eye(len(s)) * 99
    assert distances.min() > 1.9  # no two metal atoms closer than in any metal


def test_library_decorates_each_type_both_ways_once():
    entries = library("Fe", "Ti")
    ids = [i for i, _ in entries]
    assert len(ids) == len(set(ids)) == 21  # B2, L1_0 and L1_1 are the same both ways
    formulas = {s.composition.reduced_formula for _, s in entries}
    assert {"TiFe", "TiFe2", "Ti2Fe", "TiFe3", "Ti3Fe", "TiFe5", "Ti5Fe"} == formulas
    assert [i for i, _ in library("Ti", "Fe")] != ids  # A first: the order follows the system
