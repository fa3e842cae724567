"""Confirm stage (``relax.check``): a run's S.U.N. crystals re-relaxed with a second potential
and judged against that potential's own hull, so that no verdict rests on one potential's
errors and no energies of two potentials meet in one hull.

Each S.U.N. crystal starts from its relaxed structure of the first potential and relaxes again
(cell and positions, no symmetrization) with the second. It is confirmed when, by the second
potential, it is stable (``relax.stable`` above the second hull at most), unique (matching no
crystal of the run re-relaxed before it) and novel (matching no phase of the second hull).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from crystalgan.core.artifacts import (
    CONFIRMED,
    HULL,
    RELAXED,
    ArtifactError,
    cpu_seconds,
    read_potential,
    read_run,
    read_system,
    read_table,
    write_table,
)
from crystalgan.core.matching import Matcher
from crystalgan.core.structures import spacegroup, structure_from_row
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.physics.relax import SYMPREC, known_phases
from crystalgan.settings import Relax

log = logging.getLogger(__name__)


def confirm(relaxed: Path, hull: Path, *, out: Path, settings: Relax, threads: int = 1) -> pd.DataFrame:
    """``confirmed.parquet`` (``out``): the S.U.N. rows of the run's ``relaxed`` table re-relaxed
    with the potential of ``settings`` against ``hull``, the system's hull of that potential."""
    from crystalgan.physics.potentials import Relaxer

    run = read_run(relaxed)
    system = read_system(hull)["system"]
    if system != run["system"]:
        raise ArtifactError(f"{hull}: the hull of system {system}, not of the run's system {run['system']}")
    if read_potential(hull) != settings.potential:
        raise ArtifactError(f"{hull}: a hull of {read_potential(hull)}, not of the check's {settings.potential}")
    table = read_table(relaxed, RELAXED)
    references = read_table(hull, HULL)
    diagram = phase_diagram(references)
    sun = table[table["sun"]]
    relaxer = Relaxer(settings, threads) if len(sun) else None
    matcher = Matcher(s for _, _, s in known_phases(references)) if len(sun) else None
    rows = []
    for n, (_, row) in enumerate(sun.iterrows(), start=1):
        result = relaxer.relax(structure_from_row(row))
        energy = result.energy_per_atom
        verdict = matcher.judge(result.structure, int(row["candidate"])) if result.structure is not None else None
        e_hull = e_above_hull(diagram, row["formula"], energy)
        unique = verdict is not None and verdict.unique
        novel = unique and verdict.novel
        rows.append(
            {
                "candidate": int(row["candidate"]),
                "relaxed": result.structure is not None,
                "energy_per_atom": energy,
                "e_above_hull": e_hull,
                "spacegroup": spacegroup(result.structure, SYMPREC) if result.structure is not None else "",
                "steps": result.steps,
                "converged": result.converged,
                "cpu_s": result.cpu_s,
                "reason": result.reason,
                "unique": unique,
                "novel": novel,
                "confirmed": bool(novel and e_hull <= settings.stable),
            }
        )
        log.info(
            "checked %d of %d: candidate %d %s, E_hull %.3f -> %.3f eV/atom with %s%s",
            n,
            len(sun),
            row["candidate"],
            row["formula"],
            row["e_above_hull"],
            e_hull,
            settings.potential,
            "" if rows[-1]["confirmed"] else f": not confirmed ({why_not(rows[-1], settings.stable)})",
        )
    flags = ("relaxed", "converged", "unique", "novel", "confirmed")
    df = pd.DataFrame(rows, columns=CONFIRMED.names).astype(dict.fromkeys(flags, bool))
    write_table(df, out, CONFIRMED, {**run, "potential": settings.potential}, cpu={"confirm": cpu_seconds()})
    share = f"{df['confirmed'].mean():.0%}" if len(df) else "none"
    log.info("%d of %d S.U.N. crystals confirmed by %s (%s)", df["confirmed"].sum(), len(df), settings.potential, share)
    return df


def why_not(row: dict, stable: float) -> str:
    """Why a CONFIRMED ``row`` is not confirmed."""
    if not row["relaxed"]:
        return row["reason"]
    if not row["unique"]:
        return "the same crystal as an earlier one"
    if not row["novel"]:
        return "a known phase"
    return f"E_hull above {stable} eV/atom"
