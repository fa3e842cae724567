"""Hull stage: references relaxed with the potential, and the hull arithmetic against pymatgen."""

import numpy as np
import pandas as pd
import pytest
from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

from crystalgan.core.artifacts import HULL, read_table
from crystalgan.data.prototypes import atomic_volume
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.physics.hull import element_references


def hand_made(rows):
    """A hull table of (id, formula, eV/atom) rows, as the hull stage writes it."""
    return pd.DataFrame(
        [
            {"id": i, "kind": "binary", "formula": f, "n_atoms": int(Composition(f).num_atoms), "energy_per_atom": e}
            for i, f, e in rows
        ]
    )


def test_hull_arithmetic_equals_pymatgen_on_hand_made_entries():
    rows = [
        ("H2", "H2", -3.4),
        ("Pd", "Pd1", -5.2),
        ("Ni", "Ni1", -5.5),
        ("PdH", "Pd1H1", -4.6),
        ("NiH", "Ni1H1", -4.4),
        ("Ni2H", "Ni2H1", -4.9),
        ("bad", "Pd1H2", np.nan),
    ]
    diagram = phase_diagram(hand_made(rows))
    reference = PhaseDiagram([PDEntry(Composition(f), e * Composition(f).num_atoms) for _, f, e in rows[:-1]])
    for formula, e in (("PdNiH2", -4.5), ("Pd2NiH3", -4.3), ("NiH", -4.4), ("PdNiH", -5.5)):
        entry = PDEntry(Composition(formula), e * Composition(formula).num_atoms)
        expected = reference.get_e_above_hull(entry, allow_negative=True)
        assert e_above_hull(diagram, formula, e) == pytest.approx(expected, abs=1e-12)
    assert e_above_hull(diagram, "PdNiH", -5.5) < 0  # below the hull: a new stable phase, reported as such
    assert e_above_hull(diagram, "NiH", -4.4) > 0  # NiH lies above Ni + Ni2H + H2 here
    assert np.isnan(e_above_hull(diagram, "PdNiH", np.nan))
    assert len(diagram.all_entries) == 6  # the failed reference is left out


def test_element_references_are_h2_and_three_lattices_per_metal_at_the_atomic_volume():
    refs = element_references(["Pd", "Ti"])
    assert [r[0] for r in refs] == ["H2", "Pd_fcc", "Pd_bcc", "Pd_hcp", "Ti_fcc", "Ti_bcc", "Ti_hcp"]
    h2 = refs[0][2]
    assert h2.get_distance(0, 1) == pytest.approx(0.74) and h2.volume == pytest.approx(1000.0)
    for ref_id, _, s in refs[1:]:
        metal = ref_id.split("_")[0]
        assert s.volume / len(s) == pytest.approx(atomic_volume(metal), rel=1e-6)
        assert s.composition.reduced_formula == metal


def test_hull_stage_relaxes_every_reference_with_the_potential(pdni_hull):
    table = read_table(pdni_hull, HULL)
    assert len(table) == 7 + 10 and set(table["kind"]) == {"molecule", "element", "binary"}
    assert np.isfinite(table["energy_per_atom"]).all(), table[["id", "reason"]]
    assert (table["e_above_hull"] >= -1e-9).all()  # the references make the hull: none below it
    for metal in ("Pd", "Ni"):  # the most stable lattice of each metal is on the hull
        lattices = table[table["id"].str.startswith(f"{metal}_")]
        assert lattices["e_above_hull"].min() == pytest.approx(0.0, abs=1e-9)
    assert table.loc[table["id"] == "Pd_fcc", "e_above_hull"].item() == pytest.approx(0.0, abs=1e-9)  # CHGNet: Pd fcc
    h2 = table[table["id"] == "H2"].iloc[0]
    assert -3.6 < h2["energy_per_atom"] < -3.0  # CHGNet's H2 (DFT-PBE: about -3.4 eV/atom)
    assert h2["e_above_hull"] == pytest.approx(0.0, abs=1e-9)
