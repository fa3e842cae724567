"""Thermodynamic stability against a hull of relaxed references: pymatgen's PhaseDiagram of a
``hull.parquet`` table and the energy above it of a phase (no potential needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

HULL_TOLERANCE = 0.001  # eV/atom: "on the hull" within this; "below" only beyond it (energies' numerical noise)


def phase_diagram(hull: pd.DataFrame) -> PhaseDiagram:
    """pymatgen's PhaseDiagram of the relaxed references (rows with an energy)."""
    ok = hull[np.isfinite(hull["energy_per_atom"])]
    entries = [PDEntry(Composition(r.formula), r.energy_per_atom * r.n_atoms, name=r.id) for r in ok.itertuples()]
    return PhaseDiagram(entries)


def e_above_hull(diagram: PhaseDiagram, formula: str, energy_per_atom: float) -> float:
    """Energy above the hull (eV/atom) of a phase ``formula`` at ``energy_per_atom``; negative
    below the hull (a new stable phase), NaN without an energy."""
    if not np.isfinite(energy_per_atom):
        return float("nan")
    comp = Composition(formula)
    entry = PDEntry(comp, energy_per_atom * comp.num_atoms)
    return float(diagram.get_e_above_hull(entry, allow_negative=True))
