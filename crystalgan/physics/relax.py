"""Relax stage: the valid unique candidates of a run, relaxed with a universal potential and
judged as materials: energy above the hull, symmetry, and S.U.N. on the relaxed structures.

The shortlist is the run's valid unique candidates, optionally ranked by the energy above the
hull of a single-point energy and capped at ``max_per_run``. Each is optionally symmetrized
first (spglib at ``symprec``: the idealised primitive standard cell of the group found, where
it is not P1), then relaxed (cell and positions; see :mod:`crystalgan.physics.potentials`); with
``refine``, a stable one still P1 is symmetrized at looser tolerances and relaxed again within the
group found, replacing the P1 structure where that costs at most ``refine_energy``. A relaxed
candidate is unique when the project's one matcher (:mod:`crystalgan.core.matching`:
StructureMatcher, defaults) matches it to no earlier relaxed one of the run, novel when it
matches no relaxed training binary (novel_framework: not even with every atom one species, so
that an ordered substitution of a binary is not a new framework), stable when its
energy above the hull is at most ``stable`` eV/atom, and S.U.N. when all three hold
(MatterGen's definition). Failures are rows with a reason.

A large run scatters its relaxation (``relax.parts``): ``shortlist`` writes the shortlist,
``relax-part`` jobs relax every n-th entry of it, and ``relax`` gathers them in shortlist
order before judging; with one part, ``relax`` does all of it in one job.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition, Structure

from crystalgan.core.artifacts import (
    FILTERED,
    HULL,
    RELAXED,
    SHORTLIST,
    ArtifactError,
    check_same_run,
    cpu_seconds,
    read_cpu,
    read_json,
    read_structures,
    read_table,
    write_table,
)
from crystalgan.core.matching import Matcher
from crystalgan.core.structures import decode_structure, spacegroup, structure_from_row, write_structure_files
from crystalgan.errors import InputError
from crystalgan.evaluation.filter import run_info
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.evaluation.storage import STORAGE_COLUMNS, storage_columns
from crystalgan.physics.hull import relaxation_row
from crystalgan.settings import Relax

log = logging.getLogger(__name__)

SYMPREC = 0.1  # A: tolerance of the space group reported for relaxed structures (and their CIFs)

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def symmetrized(s: Structure, symprec: float) -> tuple[Structure, str]:
    """The idealised primitive standard cell of the space group spglib finds at ``symprec``,
    and its symbol; ``s`` and "" where it finds only P1 (or ``symprec`` is 0)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    if symprec <= 0:
        return s, ""
    try:
        analyzer = SpacegroupAnalyzer(s, symprec=symprec)
        if analyzer.get_space_group_number() == 1:
            return s, ""
        return analyzer.get_primitive_standard_structure(), analyzer.get_space_group_symbol()
    except Exception:  # spglib fails on some distorted cells: relax them as they are
        return s, ""


def refine(result, relaxer):
    """``result`` (a potentials.Relaxed) and "", or where it is P1 at SYMPREC, the first
    symmetrization at the tolerances ``relax.refine`` that, relaxed within its group, ends at
    most ``relax.refine_energy`` eV/atom above it, and that group (the settings those of
    ``relaxer``). The CPU seconds and steps of every attempt are added to the result's."""
    settings = relaxer.settings
    if not settings.refine or result.structure is None or spacegroup(result.structure, SYMPREC) != "P1":
        return result, ""
    steps, cpu = result.steps, result.cpu_s
    for tolerance in settings.refine:
        start, group = symmetrized(result.structure, tolerance)
        if not group:
            continue
        again = relaxer.relax(start, keep_symmetry=True)
        steps, cpu = steps + again.steps, cpu + again.cpu_s
        if again.converged and again.energy_per_atom <= result.energy_per_atom + settings.refine_energy:
            return replace(again, steps=steps, cpu_s=cpu), group
    return replace(result, steps=steps, cpu_s=cpu), ""


def shortlist(candidates: list[tuple[int, Structure]], relaxer, diagram, cap: int | None, rank: bool) -> pd.DataFrame:
    """The candidates to relax (SHORTLIST rows, in order): all, or the ``cap`` first, or with
    ``rank`` the ``cap`` lowest in single-point energy (``relaxer``'s potential) above the hull."""
    scored = []
    for k, s in candidates:
        e = e_above_hull(diagram, s.composition.formula, relaxer.energy(s)) if rank else float("nan")
        scored.append((k, e))
    if rank:
        scored.sort(key=lambda t: (not np.isfinite(t[1]), t[1] if np.isfinite(t[1]) else 0.0, t[0]))
    return pd.DataFrame(scored if cap is None else scored[:cap], columns=SHORTLIST.names)


def judge_relaxed(df: pd.DataFrame, references: list[tuple[str, str, Structure]], stable: float) -> None:
    """Fill unique, duplicate_of, novel, novel_framework, rediscovered, stable and sun of the
    relaxed rows of ``df`` with the project's one :class:`~crystalgan.core.matching.Matcher`:
    novel against every relaxed reference the run knows (``references``: id, kind and structure
    of the hull's training binaries, elements, intermetallics and known phases); a unique
    candidate matching a known phase is ``rediscovered`` (its id) and not novel."""
    matcher = Matcher(s for _, _, s in references)
    for i, row in df.iterrows():
        if not row["relaxed"]:
            continue
        verdict = matcher.judge(structure_from_row(row), int(row["candidate"]))
        df.loc[i, "duplicate_of"] = -1 if verdict.unique else verdict.duplicate_of
        df.loc[i, "unique"] = verdict.unique
        if verdict.unique:
            df.loc[i, "novel"] = verdict.novel
            df.loc[i, "novel_framework"] = verdict.novel_framework
            if verdict.known is not None and references[verdict.known][1] == "known":
                df.loc[i, "rediscovered"] = references[verdict.known][0]
    df["stable"] = df["relaxed"] & (df["e_above_hull"] <= stable)
    df["sun"] = df["stable"] & df["unique"] & df["novel"]


class Run:
    """What every relax step of a run reads: its candidates, their description and the hull;
    ``tables`` (the run's filtered table, shortlist or relaxed parts) must be of the same run."""

    def __init__(self, candidates: Domain, info: Path, hull: Path, tables: tuple[Path, ...] = ()):
        self.info = read_json(info)
        self.x, self.counts = read_structures(*candidates)
        check_same_run(run_info(self.info), *tables)
        self.references = read_table(hull, HULL)
        elements = {str(e) for f in self.references["formula"] for e in Composition(f).elements}
        if elements != {"H", self.info["A"], self.info["B"]}:
            raise ArtifactError(
                f"{hull}: a hull of {'-'.join(sorted(elements))}, not of the run's system {self.info['system']} "
                f"({self.info['A']}-{self.info['B']}-H)"
            )
        self.diagram = phase_diagram(self.references)

    def candidates(self, table: pd.DataFrame, path: Path) -> list[int]:
        """The candidates of ``table`` (read from ``path``), checked to be candidates of this run."""
        keys = table["candidate"].to_numpy()
        if len(keys) and (keys.min() < 0 or keys.max() >= len(self.x)):
            raise ArtifactError(f"{path}: candidate {keys.max()} does not exist: the run has {len(self.x)}")
        return keys.tolist()

    def structure(self, k: int) -> Structure:
        return decode_structure(self.x[k], self.counts[k], self.info["A"], self.info["B"])

    def known(self) -> list[tuple[str, str, Structure]]:
        return known_phases(self.references)


def known_phases(hull: pd.DataFrame) -> list[tuple[str, str, Structure]]:
    """(id, kind, structure) of the relaxed phases of a ``hull`` table that a candidate may match:
    the training binaries, the elements, the intermetallics and the known phases (not the H2
    molecule)."""
    phases = hull[hull["kind"] != "molecule"]
    return [(r["id"], r["kind"], structure_from_row(r)) for _, r in phases.iterrows() if len(r["lattice"])]


def make_shortlist(filtered: Path, run: Run, settings: Relax, threads: int):
    """The run's valid unique candidates to relax (:func:`shortlist` with the relax
    ``settings``), and the relaxer (None where there is no candidate)."""
    from crystalgan.physics.potentials import Relaxer

    flags = read_table(filtered, FILTERED)
    if len(flags) != len(run.x):
        raise ArtifactError(f"{filtered}: {len(flags)} rows for the run's {len(run.x)} candidates")
    keep = run.candidates(flags[flags["valid"] & flags["unique"]], filtered)
    relaxer = Relaxer(settings, threads) if keep else None
    chosen = shortlist([(k, run.structure(k)) for k in keep], relaxer, run.diagram, settings.cap, settings.rank)
    log.info("%d valid unique candidates, %d to relax", len(keep), len(chosen))
    return chosen, relaxer


def relax_rows(chosen: pd.DataFrame, run: Run, relaxer, structures: Path) -> list[dict]:
    """RELAXED rows (not yet judged) of the ``chosen`` SHORTLIST rows, relaxed structures as
    CIF (symmetrized where that reads back as the same crystal) and POSCAR in ``structures``."""
    settings = relaxer.settings if relaxer is not None else None
    structures = Path(structures)
    structures.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (k, single_point) in enumerate(zip(chosen["candidate"], chosen["single_point_e_above_hull"]), start=1):
        start, group = symmetrized(run.structure(int(k)), settings.symprec)
        result = relaxer.relax(start)
        e_hull, refined = e_above_hull(run.diagram, start.composition.formula, result.energy_per_atom), ""
        if e_hull <= settings.stable:  # only a stable candidate can be S.U.N.: refine no other
            result, refined = refine(result, relaxer)
            if refined:
                e_hull = e_above_hull(run.diagram, start.composition.formula, result.energy_per_atom)
        row = {
            "candidate": int(k),
            "formula": start.composition.formula.replace(" ", ""),
            "n_atoms": len(start),
            "single_point_e_above_hull": single_point,
            "symmetrized": group,
            "refined": refined,
            **relaxation_row(result),
            "relaxed": result.structure is not None,
            "e_above_hull": e_hull,
            "unique": False,
            "duplicate_of": -1,
            "novel": False,
            "novel_framework": False,
            "rediscovered": "",
            **dict.fromkeys(STORAGE_COLUMNS[:-1], np.nan),
            "release": "",
            "stable": False,
            "sun": False,
            "cif": "",
            "poscar": "",
        }
        if result.structure is not None:
            cif, poscar = write_structure_files(result.structure, structures / f"cand_{k:06d}", SYMPREC)
            row.update(cif=str(cif), poscar=str(poscar))
        rows.append(row)
        log.info(
            "relaxed %d of %d: candidate %d %s%s, %d steps, %.1f CPU-s, E_hull %.3f eV/atom, %s %s",
            n,
            len(chosen),
            k,
            row["formula"],
            (f" (symmetrized {group})" if group else "") + (f" (refined to {refined})" if refined else ""),
            result.steps,
            result.cpu_s,
            row["e_above_hull"],
            row["spacegroup"],
            result.reason,
        )
    return rows


def relaxed_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=RELAXED.names)
    flags = ("unique", "novel", "novel_framework", "stable", "sun", "relaxed", "converged")
    return df.astype({c: bool for c in flags})


def write_shortlist(
    filtered: Path, candidates: Domain, *, info: Path, hull: Path, out: Path, settings: Relax, threads: int = 1
) -> pd.DataFrame:
    """``shortlist.parquet`` (``out``) of a run whose relaxation is scattered over parts."""
    run = Run(candidates, info, hull, (filtered,))
    chosen, _ = make_shortlist(filtered, run, settings, threads)
    write_table(chosen, out, SHORTLIST, run_info(run.info), cpu={"relax": cpu_seconds()})
    return chosen


def relax_part(
    shortlist_path: Path,
    candidates: Domain,
    *,
    info: Path,
    hull: Path,
    out: Path,
    settings: Relax,
    part: tuple[int, int],
    threads: int = 1,
) -> pd.DataFrame:
    """Relax part ``k`` of ``n`` of the shortlist (every n-th row from the k-th, so that each
    part gets good and bad candidates alike) into the folder ``out``: relaxed.parquet (rows not
    yet judged against each other) and the structure files."""
    from crystalgan.physics.potentials import Relaxer

    k, n = part
    run = Run(candidates, info, hull, (shortlist_path,))
    listed = read_table(shortlist_path, SHORTLIST)
    run.candidates(listed, shortlist_path)
    chosen = listed.iloc[k - 1 :: n]
    log.info("part %d of %d: %d of the %d shortlisted candidates", k, n, len(chosen), len(listed))
    relaxer = Relaxer(settings, threads) if len(chosen) else None
    df = relaxed_frame(relax_rows(chosen, run, relaxer, Path(out)))
    write_table(df, Path(out) / "relaxed.parquet", RELAXED, run_info(run.info), cpu={"relax": cpu_seconds()})
    return df


def gather_parts(shortlist_path: Path, parts: list[Path], structures: Path) -> tuple[pd.DataFrame, float]:
    """The rows of the relaxed ``parts`` (folders written by :func:`relax_part`) in shortlist
    order, their structure files copied into ``structures``; and the CPU seconds spent on the
    shortlist and the parts."""
    order = read_table(shortlist_path, SHORTLIST)["candidate"].tolist()
    cpu = read_cpu(shortlist_path).get("relax", 0.0)
    tables = []
    structures = Path(structures)
    structures.mkdir(parents=True, exist_ok=True)
    for part in map(Path, parts):
        table = read_table(part / "relaxed.parquet", RELAXED)
        cpu += read_cpu(part / "relaxed.parquet").get("relax", 0.0)
        for column in ("cif", "poscar"):
            for i, path in table[column].items():
                if path:
                    table.loc[i, column] = str(structures / Path(path).name)
                    shutil.copyfile(path, table.loc[i, column])
        tables.append(table)
    df = pd.concat(tables, ignore_index=True) if tables else relaxed_frame([])
    if sorted(df["candidate"]) != sorted(order):
        raise InputError(f"the relaxed parts {[str(p) for p in parts]} do not cover the shortlist {shortlist_path}")
    df = df.set_index("candidate", drop=False).loc[order].reset_index(drop=True)
    return relaxed_frame(df.to_dict("records")), cpu


def relax_run(
    filtered: Path,
    candidates: Domain,
    *,
    info: Path,
    hull: Path,
    out: Path,
    structures: Path,
    settings: Relax,
    threads: int = 1,
    shortlist_path: Path | None = None,
    parts: list[Path] = (),
) -> pd.DataFrame:
    """``relaxed.parquet`` (``out``) of a run's valid unique candidates, relaxed structures as
    CIF and POSCAR in ``structures``: relaxed here, or gathered from the ``parts`` of the
    shortlist ``shortlist_path`` relaxed by :func:`relax_part`."""
    tables = (filtered, shortlist_path, *(Path(p) / "relaxed.parquet" for p in parts)) if parts else (filtered,)
    run = Run(candidates, info, hull, tables)
    if parts:
        df, part_cpu = gather_parts(shortlist_path, parts, structures)
    else:
        chosen, relaxer = make_shortlist(filtered, run, settings, threads)
        df, part_cpu = relaxed_frame(relax_rows(chosen, run, relaxer, structures)), 0.0
    judge_relaxed(df, run.known(), settings.stable)
    df[list(STORAGE_COLUMNS)] = storage_columns(df, run.references)
    write_table(df, out, RELAXED, run_info(run.info), cpu={"relax": part_cpu + cpu_seconds()})
    log.info(
        "%d relaxed (%d converged), %d unique, %d stable (E_hull <= %g), %d S.U.N., %d not P1; %.1f CPU-s each",
        int(df["relaxed"].sum()),
        int(df["converged"].sum()),
        int(df["unique"].sum()),
        int(df["stable"].sum()),
        settings.stable,
        int(df["sun"].sum()),
        int((df["relaxed"] & (df["spacegroup"] != "P1")).sum()),
        df["cpu_s"].mean() if len(df) else 0.0,
    )
    return df
