"""Filter stage: geometry verdicts of every candidate (:mod:`crystalgan.evaluation.verdicts`), then
uniqueness and novelty of the valid ones (:mod:`crystalgan.core.matching`), into
``filtered.parquet`` (one row per candidate) and ``neighbours.parquet`` (per atom of the
valid unique candidates, its nearest constrained neighbour: the report's Figure 5 and 6).

A scattered filter judges part of the candidates per ``filter-part`` job (:func:`write_part`)
and gathers the parts here (:func:`write_filtered`) for the StructureMatcher checks.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Structure

from crystalgan.core.artifacts import (
    CURATED,
    FILTERED,
    NEIGHBOURS,
    RUN_FIELDS,
    ArtifactError,
    check_same_run,
    cpu_seconds,
    read_cpu,
    read_json,
    read_structures,
    read_table,
    write_table,
)
from crystalgan.core.matching import mark_novelty
from crystalgan.core.structures import decode_structure, structure_from_row
from crystalgan.errors import InputError
from crystalgan.evaluation.verdicts import PAIR_COLUMNS, data_windows, neighbour_table, verdict_table

log = logging.getLogger(__name__)

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def run_info(info: dict) -> dict:
    """What identifies a run in its tables' metadata (from ``candidates.json``)."""
    return {key: info[key] for key in RUN_FIELDS}


def binary_structures(curated: list[Path]) -> list[Structure]:
    """The curated training binaries (A-H, then B-H tables)."""
    out = []
    for table in curated:
        df = read_table(table, CURATED)
        out += [structure_from_row(r) for _, r in df.iterrows()]
    return out


def transfer_structures(transfer: list[Domain], metal_a: str, metal_b: str) -> list[Structure]:
    """The stage-2 training ternaries (AHB_g, then BHA_g)."""
    out = []
    for domain in transfer:
        x, c = read_structures(*domain)
        out += [decode_structure(x[k], c[k], metal_a, metal_b) for k in range(len(x))]
    return out


def element_windows(binaries: list[Structure], metal_a: str, metal_b: str) -> np.ndarray:
    """:func:`~crystalgan.evaluation.verdicts.data_windows` of the training binaries, logged."""
    windows = data_windows(binaries, metal_a, metal_b)
    log.info("element-aware bounds (A) %s", dict(zip(PAIR_COLUMNS, np.round(windows, 3).tolist())))
    return windows


def filter_candidates(
    x: np.ndarray,
    counts: np.ndarray,
    metal_a: str,
    metal_b: str,
    training: list[Structure],
    d1: float,
    d2: float,
    processes: int = 1,
    windows: np.ndarray | None = None,
    poscar_dir: Path = Path("poscar"),
) -> pd.DataFrame:
    """The filtered table (FILTERED rows) of candidates ``x``, ``counts``: geometry verdicts,
    then uniqueness and novelty against the ``training`` structures."""
    df = verdict_table(x, counts, ("H", metal_a, metal_b), poscar_dir, d1, d2, processes, windows)
    mark_novelty(df, x, counts, metal_a, metal_b, training, processes)
    return df


def judge_candidates(
    candidates: Domain,
    x: np.ndarray,
    counts: np.ndarray,
    info: dict,
    binaries: list[Structure],
    d1: float,
    d2: float,
    processes: int,
    part=(1, 1),
) -> pd.DataFrame:
    """Geometry verdicts of part ``part`` of the candidates ``x``, ``counts`` read from
    ``candidates`` (described by ``info``)."""
    names = ("H", info["A"], info["B"])
    windows = element_windows(binaries, info["A"], info["B"])
    poscar_dir = Path(candidates[0]).parent / "poscar"
    return verdict_table(x, counts, names, poscar_dir, d1, d2, processes, windows, part)


def write_part(
    candidates: Domain, info: Path, curated: list[Path], out: Path, d1: float, d2: float, part, processes: int = 1
) -> None:
    """Verdicts of one part of the candidates (a scattered filter job) into ``out``."""
    info = read_json(info)
    x, counts = read_structures(*candidates)
    df = judge_candidates(candidates, x, counts, info, binary_structures(curated), d1, d2, processes, part)
    write_table(df, out, FILTERED, run_info(info), cpu={"filter": cpu_seconds()})
    log.info("part %d of %d: %d candidates, %d valid", *part, len(df), int(df["valid"].sum()))


def write_filtered(
    candidates: Domain,
    info: Path,
    curated: list[Path],
    transfer: list[Domain],
    out: Path,
    neighbours: Path,
    d1: float,
    d2: float,
    processes: int = 1,
    parts: list[Path] = (),
) -> pd.DataFrame:
    """``filtered.parquet`` (``out``) and ``neighbours.parquet`` of the candidates, from the
    verdict ``parts`` (gathered) or, without parts, from scratch; novelty is judged against
    everything the generators learnt from: the curated binaries and the ``transfer`` ternaries."""
    info_path, info = info, read_json(info)
    x, counts = read_structures(*candidates)
    if info.get("samples", len(x)) != len(x):
        raise ArtifactError(f"{candidates[0]}: {len(x)} candidates, but {info_path} describes {info['samples']}")
    check_same_run(run_info(info), *parts)
    binaries = binary_structures(curated)
    training = binaries + transfer_structures(transfer, info["A"], info["B"])
    part_cpu = sum(read_cpu(p).get("filter", 0.0) for p in parts)
    if parts:
        df = pd.concat([read_table(p, FILTERED) for p in parts]).sort_values("candidate")
    else:
        t0 = time.perf_counter()
        df = judge_candidates(candidates, x, counts, info, binaries, d1, d2, processes)
        log.info("geometry verdicts of %d candidates in %.1f s", len(df), time.perf_counter() - t0)
    if df["candidate"].tolist() != list(range(len(x))):
        raise InputError(f"{candidates[0]}: verdicts cover {len(df)} rows, not each of the {len(x)} candidates once")
    df = df.reset_index(drop=True)
    t0 = time.perf_counter()
    mark_novelty(df, x, counts, info["A"], info["B"], training, processes)
    run = run_info(info)
    cpu = {"generate": info.get("cpu_s", float("nan")), "filter": part_cpu + cpu_seconds()}
    write_table(df, out, FILTERED, run, cpu)
    keep = df.loc[df["valid"] & df["unique"], "candidate"]
    write_table(neighbour_table(x, counts, keep, ("H", info["A"], info["B"]), 2 * d2), neighbours, NEIGHBOURS, run)
    log.info(
        "%d candidates: %d ternary, %d valid, %d valid unique, %d unseen, %d unseen framework (matching %.1f s)",
        len(df),
        df["is_ternary"].sum(),
        df["valid"].sum(),
        df["unique"].sum(),
        df["unseen"].sum(),
        df["unseen_framework"].sum(),
        time.perf_counter() - t0,
    )
    return df
