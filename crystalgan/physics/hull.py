"""Hull stage: the convex hull of a system's known phases, all relaxed with one potential.

The references are the curated training binaries and the elements: H as an H2 molecule in
a box (positions only), each metal as fcc, bcc and hcp (cell and positions), all relaxed with
the same potential and settings as the candidates; ML energies are never mixed with DFT ones.
``hull.parquet`` holds every reference (energy, its own energy above the hull, the relaxed
structure, or the reason it failed); :func:`crystalgan.evaluation.stability.phase_diagram`
rebuilds pymatgen's ``PhaseDiagram`` of the successful ones for the relax stage and the report.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition, Lattice, Structure

from crystalgan.core.artifacts import (
    CURATED,
    HULL,
    ArtifactError,
    cpu_seconds,
    read_cpu,
    read_potential,
    read_system,
    read_table,
    system_run,
    write_table,
)
from crystalgan.core.structures import spacegroup, structure_from_row
from crystalgan.data.prototypes import atomic_volume, build_library
from crystalgan.errors import CrystalganError
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.settings import Relax

log = logging.getLogger(__name__)

H2_BOX = 10.0  # A: edge of the cubic box of the H2 molecule
H2_BOND = 0.74  # A
HCP_C_OVER_A = 1.633


def element_references(metals: list[str]) -> list[tuple[str, str, Structure]]:
    """(id, kind, structure) of H2 in a box and of every metal as fcc, bcc and hcp, with the
    metal's atomic volume."""
    box = Lattice.cubic(H2_BOX)
    h2 = Structure(box, ["H", "H"], [[0, 0, 0], [H2_BOND, 0, 0]], coords_are_cartesian=True)
    out = [("H2", "molecule", h2)]
    for metal in metals:
        v = atomic_volume(metal)
        fcc = Structure(
            Lattice.cubic((4 * v) ** (1 / 3)), [metal] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]]
        )
        bcc = Structure(Lattice.cubic((2 * v) ** (1 / 3)), [metal] * 2, [[0, 0, 0], [0.5, 0.5, 0.5]])
        a = (2 * v / (np.sqrt(3) / 2 * HCP_C_OVER_A)) ** (1 / 3)
        hcp = Structure(
            Lattice.hexagonal(a, HCP_C_OVER_A * a), [metal] * 2, [[1 / 3, 2 / 3, 0.25], [2 / 3, 1 / 3, 0.75]]
        )
        out += [(f"{metal}_fcc", "element", fcc.get_primitive_structure()), (f"{metal}_bcc", "element", bcc)]
        out.append((f"{metal}_hcp", "element", hcp))
    return out


def relaxation_row(result) -> dict:
    """The relaxation columns (HULL, RELAXED) of one relaxation result."""
    s = result.structure
    return {
        "energy_per_atom": result.energy_per_atom,
        "spacegroup": spacegroup(s) if s is not None else "",
        "steps": result.steps,
        "converged": result.converged,
        "cpu_s": result.cpu_s,
        "reason": result.reason,
        "lattice": s.lattice.matrix.reshape(-1).tolist() if s is not None else [],
        "species": [x.specie.symbol for x in s] if s is not None else [],
        "cart_coords": s.cart_coords.reshape(-1).tolist() if s is not None else [],
    }


def hull(
    ah: Path,
    bh: Path,
    *,
    system: str,
    metal_a: str,
    metal_b: str,
    out: Path,
    settings: Relax,
    phases: Path | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """Relax the references of a system (curated ``ah``, ``bh`` and the elements) with the
    potential and settings of ``settings`` and add the system's other ``phases`` (a table of
    :func:`relax_phases`, relaxed with the same potential) into ``out`` (hull.parquet, which
    names ``system``, its metals and the potential in its metadata) and return it."""
    from crystalgan.physics.potentials import Relaxer

    if phases is not None:
        check_phases(phases, system, settings.potential)
    relaxer = Relaxer(settings, threads)
    references = element_references([metal_a, metal_b])
    for table in (ah, bh):
        df = read_table(table, CURATED)
        references += [(row["id"], "binary", structure_from_row(row)) for _, row in df.iterrows()]
    rows = []
    for kind in ("molecule", "element", "binary"):  # the molecule relaxes in its box, the cell fixed
        items = [(ref_id, s) for ref_id, k, s in references if k == kind]
        rows += relaxed_rows(relaxer, items, kind, cell=kind != "molecule")
    if phases is not None:
        rows += read_table(phases, HULL).to_dict("records")
    table = pd.DataFrame(rows)
    elements = table["formula"].map(lambda f: "".join(sorted(e.symbol for e in Composition(f).elements)))
    for metal in ("H", metal_a, metal_b):
        elemental = table[elements == metal]
        if not np.isfinite(elemental["energy_per_atom"]).any():
            raise CrystalganError(f"no reference of element {metal} relaxed: {'; '.join(elemental['reason'])}")
    diagram = phase_diagram(table)
    table["e_above_hull"] = [e_above_hull(diagram, r.formula, r.energy_per_atom) for r in table.itertuples()]
    cpu = cpu_seconds() + (read_cpu(phases).get("phases", 0.0) if phases is not None else 0.0)
    write_table(table, out, HULL, system_run(system, metal_a, metal_b, settings.potential), cpu={"hull": cpu})
    on_hull = table.loc[table["e_above_hull"] <= 1e-6, "id"].tolist()
    log.info(
        "hull of %d relaxed references (%d failed); on the hull: %s",
        int(np.isfinite(table["energy_per_atom"]).sum()),
        int((~np.isfinite(table["energy_per_atom"])).sum()),
        ", ".join(on_hull),
    )
    return table


def relaxed_library(metal: str, relaxer) -> list[tuple[str, Structure, str]]:
    """(name, structure, note) of every prototype of :mod:`crystalgan.data.prototypes` for
    ``metal`` relaxed by ``relaxer`` within its space group; failures are left out."""
    settings = relaxer.settings
    note = f"relaxed with {settings.potential} to fmax {settings.fmax} eV/A"
    out = []
    for name, _, r in relaxer.each(build_library(metal), f"{metal} prototype", keep_symmetry=True):
        if r.structure is not None:
            out.append((name, r.structure, note if r.converged else f"{note} (not reached in {r.steps} steps)"))
    if not out:
        raise CrystalganError(f"no {metal} prototype relaxed with {settings.potential}: see the log")
    return out


def relaxed_rows(relaxer, items, kind: str, **options) -> list[dict]:
    """HULL rows (energy above the hull not yet known) of the (id, structure) ``items`` of one
    ``kind``, relaxed by ``relaxer`` with ``options``."""
    rows = []
    for ref_id, s, result in relaxer.each(items, f"{kind} reference", **options):
        formula = s.composition.formula.replace(" ", "")
        rows.append({"id": ref_id, "kind": kind, "formula": formula, "n_atoms": len(s), **relaxation_row(result)})
    return rows


def relax_phases(
    *,
    system: str,
    metal_a: str,
    metal_b: str,
    out: Path,
    settings: Relax,
    known: Path | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """The system's phases beyond its training binaries, relaxed with the potential of
    ``settings`` into ``out`` (HULL rows): the A-B intermetallic structure types
    (:mod:`crystalgan.data.intermetallics`, kind "intermetallic") and the user's ``known``
    phases (a curated table of :func:`crystalgan.data.curate.curate_known`, kind "known")."""
    from crystalgan.data.intermetallics import library
    from crystalgan.physics.potentials import Relaxer

    relaxer = Relaxer(settings, threads)
    rows = relaxed_rows(relaxer, library(metal_a, metal_b), "intermetallic")
    if known is not None:
        table = read_table(known, CURATED)
        rows += relaxed_rows(relaxer, [(r["id"], structure_from_row(r)) for _, r in table.iterrows()], "known")
    df = pd.DataFrame(rows, columns=[c for c in HULL.names if c != "e_above_hull"]).assign(e_above_hull=np.nan)
    write_table(df, out, HULL, system_run(system, metal_a, metal_b, settings.potential), cpu={"phases": cpu_seconds()})
    return df


def check_phases(path: Path, system: str, potential: str) -> None:
    """ArtifactError where the phases table ``path`` is of another system or potential: energies
    of two potentials are never mixed in one hull."""
    found, used = read_system(path)["system"], read_potential(path)
    if found != system:
        raise ArtifactError(f"{path}: the phases of system {found}, not of {system}")
    if used != potential:
        raise ArtifactError(f"{path}: phases relaxed with {used}, the hull with {potential}: energies never mix")
