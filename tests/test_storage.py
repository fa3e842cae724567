"""Hydrogen-storage properties against hand arithmetic for MgH2 (rutile, Z = 2)."""

import numpy as np
import pandas as pd
import pytest
from pymatgen.core import Composition, Lattice, Structure

from crystalgan.evaluation.storage import (
    EV_TO_KJ_PER_MOL,
    H2_ENTROPY,
    Dehydrogenation,
    capacities,
    release,
    release_temperature,
    storage_columns,
)

# alpha-MgH2, rutile type P4_2/mnm, a = 4.501 A, c = 3.010 A, H at 4f x = 0.304
# (Bortz, Bertheville, Boettger, Yvon, J. Alloys Compd. 287, L4, 1999)
MGH2 = Structure.from_spacegroup(
    "P4_2/mnm", Lattice.tetragonal(4.501, 3.010), ["Mg", "H"], [[0, 0, 0], [0.304, 0.304, 0]]
)


def test_capacities_of_mgh2_are_its_textbook_values():
    wt, kg = capacities(MGH2.composition, MGH2.volume)
    mg, h = 24.305, 1.008
    assert wt == pytest.approx(100 * 2 * h / (mg + 2 * h), rel=1e-3)  # 7.66 wt%
    assert kg == pytest.approx(4 * h * 1e-3 / 6.02214076e23 / (MGH2.volume * 1e-30), rel=1e-3)  # about 110 kg/m^3
    assert 7.6 < wt < 7.7 and 105 < kg < 115


def test_dehydrogenation_enthalpy_is_hand_arithmetic_against_the_hydrogen_free_hull():
    """MgH2 -> Mg + H2 with made-up energies: dH per mol H2 = E(Mg) + E(H2) - E(MgH2), in kJ/mol;
    the metal part is taken on the hydrogen-free hull (hcp Mg, not the less stable fcc)."""
    hull = pd.DataFrame(
        [
            {"id": "H2", "kind": "molecule", "formula": "H2", "n_atoms": 2, "energy_per_atom": -3.40},
            {"id": "Mg_hcp", "kind": "element", "formula": "Mg2", "n_atoms": 2, "energy_per_atom": -1.50},
            {"id": "Mg_fcc", "kind": "element", "formula": "Mg1", "n_atoms": 1, "energy_per_atom": -1.49},
            {"id": "MgH", "kind": "binary", "formula": "Mg1H1", "n_atoms": 2, "energy_per_atom": -2.0},
        ]
    )
    e_mgh2 = -3.0  # eV/atom, a cell Mg2H4
    dh = Dehydrogenation(hull).enthalpy("Mg2H4", e_mgh2)
    by_hand = (2 * -1.50 + 2 * (2 * -3.40) - 6 * e_mgh2) / 2 * EV_TO_KJ_PER_MOL
    assert dh == pytest.approx(by_hand, rel=1e-12)
    assert release_temperature(dh) == pytest.approx(dh * 1000 / H2_ENTROPY)
    row = {"formula": "Mg2H4", "energy_per_atom": e_mgh2, "lattice": MGH2.lattice.matrix.reshape(-1).tolist()}
    row["species"] = [x.specie.symbol for x in MGH2]
    table = storage_columns(pd.DataFrame([row, {**row, "lattice": [], "species": []}]), hull)
    assert table.loc[0, "dh_kj_per_mol_h2"] == pytest.approx(by_hand)
    assert table.loc[0, "wt_h"] == pytest.approx(capacities(Composition("MgH2"), MGH2.volume)[0])
    assert np.isnan(table.loc[1, "wt_h"]) and table.loc[1, "release"] == ""


def test_release_says_whether_the_enthalpy_suits_room_temperature_storage():
    assert release(35.0) == "near room temperature"
    assert release(75.0).startswith("too strong") and release(8.0).startswith("too weak")
    assert release(-5.0).startswith("unstable") and np.isnan(release_temperature(-5.0))
    assert release_temperature(35.0) == pytest.approx(269.2, abs=0.1)  # 35 kJ/mol / 130 J/mol/K
