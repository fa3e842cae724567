"""DFT hand-off: the standard next step for every crystal of a system's campaign list.

For each distinct S.U.N. crystal (:func:`crystalgan.evaluation.campaign.discoveries`), its best
relaxation as a pymatgen ``MPRelaxSet`` (the Materials Project's PBE relaxation: INCAR,
KPOINTS, POSCAR) with a ``POTCAR.spec`` naming the PAW datasets instead of the POTCARs, which
are licensed and never shipped: a user with VASP runs ``pmg potcar`` or copies them in and
starts. ``index.csv`` lists the folders with the crystal, formula and energy above the hull.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from crystalgan.core.artifacts import RELAXED, read_run, read_table
from crystalgan.core.structures import structure_from_row
from crystalgan.errors import InputError
from crystalgan.evaluation.campaign import discoveries


def write_dft_inputs(relaxed: list[Path], out: Path) -> pd.DataFrame:
    """MPRelaxSet inputs of every crystal of the campaign list of the runs' ``relaxed`` tables
    (one system) in ``out/<crystal>_<formula>/``, and ``out/index.csv``; returns the index."""
    from pymatgen.io.vasp.sets import MPRelaxSet

    tables = [read_table(p, RELAXED).assign(**read_run(p)) for p in relaxed]
    rows = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=[*RELAXED.names, "system"])
    if rows["system"].nunique() > 1:
        raise InputError(f"relaxed tables of several systems ({', '.join(sorted(set(rows['system'])))}): give one's")
    found = discoveries(rows)
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    folders = []
    for r in found.itertuples():
        best = rows[(rows["method"] == r.method) & (rows["seed"] == r.seed) & (rows["candidate"] == r.candidate)]
        name = f"{r.crystal:03d}_{r.formula}"
        MPRelaxSet(structure_from_row(best.iloc[0])).write_input(str(tmp / name), potcar_spec=True)
        folders.append(name)
    index = found[["system", "crystal", "formula", "e_above_hull", "spacegroup", "seeds"]].assign(folder=folders)
    index.to_csv(tmp / "index.csv", index=False)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return index
