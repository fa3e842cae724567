"""Hydrogen-storage properties of a relaxed hydride, as a hydrogen-storage chemist ranks them.

- Gravimetric capacity: mass of H over the mass of the crystal (wt% H).
- Volumetric capacity: mass of H2 per volume of the crystal (kg H2 per m^3).
- Enthalpy of dehydrogenation per mol H2: the reaction hydride -> the hydrogen-free phases of
  the hull at the same metal composition + H2, from the potential's energies:
  dH = [E(metal part on the hydrogen-free hull) + n_H/2 E(H2) - E(hydride)] / (n_H/2), in kJ/mol;
  positive where the hydride is the stable side.
- Temperature of release at 1 bar: van 't Hoff with dG = dH - T dS = 0, dS the standard entropy
  lost by one mol of H2 gas bound in a solid (about 130 J/mol/K, the field's usual estimate:
  e.g. Zuettel, Naturwissenschaften 91, 157, 2004).

Neglected: zero-point energies (they lower dH by a few kJ/mol H2), the solids' vibrational
entropy and heat capacities, and the potential's own error. Reversible storage near room
temperature needs dH of roughly 20-50 kJ/mol H2 (release at 1 bar between about 150 and 385 K).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pymatgen.analysis.phase_diagram import PDEntry, PhaseDiagram
from pymatgen.core import Composition

from crystalgan.data.prototypes import AVOGADRO

EV_TO_KJ_PER_MOL = 96.48533212  # 1 eV per particle in kJ/mol
H2_ENTROPY = 130.0  # J/mol/K: the entropy of H2 gas lost on absorption (standard estimate)
WINDOW = (20.0, 50.0)  # kJ/mol H2: dehydrogenation enthalpies of reversible storage near room temperature

STORAGE_COLUMNS = ("wt_h", "kg_h2_per_m3", "dh_kj_per_mol_h2", "t_release_k", "release")


def capacities(composition: Composition, volume: float) -> tuple[float, float]:
    """Gravimetric (wt% H) and volumetric (kg H2 per m^3) capacity of a cell of ``composition``
    and ``volume`` (A^3)."""
    hydrogen = composition["H"] * Composition("H").weight  # g/mol of the cell's H
    wt = 100.0 * hydrogen / composition.weight
    kg_per_m3 = hydrogen * 1e-3 / AVOGADRO / (volume * 1e-30)
    return float(wt), float(kg_per_m3)


class Dehydrogenation:
    """Enthalpies of dehydrogenation against a hull: its hydrogen-free part (the metals,
    intermetallics and hydrogen-free known phases) and its H2 molecule."""

    def __init__(self, hull: pd.DataFrame):
        ok = hull[np.isfinite(hull["energy_per_atom"])]
        free = ok[ok["formula"].map(lambda f: Composition(f)["H"] == 0)]
        h2 = ok[ok["kind"] == "molecule"]
        self.h2 = float(h2["energy_per_atom"].min()) * 2 if len(h2) else float("nan")  # eV per H2
        entries = [PDEntry(Composition(r.formula), r.energy_per_atom * r.n_atoms) for r in free.itertuples()]
        self.metals = PhaseDiagram(entries) if entries else None

    def enthalpy(self, formula: str, energy_per_atom: float) -> float:
        """dH of dehydrogenation (kJ/mol H2) of a hydride ``formula`` at ``energy_per_atom`` (eV);
        NaN without H or an energy."""
        comp = Composition(formula)
        n_h = comp["H"]
        if n_h == 0 or not np.isfinite(energy_per_atom) or self.metals is None:
            return float("nan")
        metal = Composition({el: n for el, n in comp.items() if el.symbol != "H"})
        e_metal = self.metals.get_hull_energy(metal)  # eV for the metal atoms of one cell
        e_released = e_metal + n_h / 2 * self.h2
        return float((e_released - energy_per_atom * comp.num_atoms) / (n_h / 2) * EV_TO_KJ_PER_MOL)


def release_temperature(dh: float) -> float:
    """Temperature (K) at which a hydride of dehydrogenation enthalpy ``dh`` (kJ/mol H2) is in
    equilibrium with H2 at 1 bar (van 't Hoff, dS = H2_ENTROPY); NaN where it never releases
    (dh <= 0: unstable at every temperature) or is unknown."""
    return float(dh * 1000.0 / H2_ENTROPY) if np.isfinite(dh) and dh > 0 else float("nan")


def release(dh: float) -> str:
    """Whether dh (kJ/mol H2) suits reversible storage near room temperature (WINDOW)."""
    if not np.isfinite(dh):
        return ""
    if dh < WINDOW[0]:
        return "too weak: releases H2 below room temperature" if dh > 0 else "unstable: releases H2 at any temperature"
    if dh > WINDOW[1]:
        return "too strong: releases H2 only when heated"
    return "near room temperature"


def storage_columns(rows: pd.DataFrame, hull: pd.DataFrame) -> pd.DataFrame:
    """STORAGE_COLUMNS of relaxed rows (formula, energy_per_atom and the relaxed structure's
    lattice and species) against ``hull``; NaN and "" where a row did not relax."""
    reaction = Dehydrogenation(hull)
    out = []
    for _, r in rows.iterrows():
        if not len(r["lattice"]):
            out.append((np.nan, np.nan, np.nan, np.nan, ""))
            continue
        comp = Composition(r["formula"])
        volume = abs(float(np.linalg.det(np.asarray(r["lattice"], float).reshape(3, 3))))
        wt, kg = capacities(comp, volume * comp.num_atoms / len(r["species"]))  # the formula's cell
        dh = reaction.enthalpy(r["formula"], r["energy_per_atom"])
        out.append((wt, kg, dh, release_temperature(dh), release(dh)))
    return pd.DataFrame(out, index=rows.index, columns=list(STORAGE_COLUMNS))
