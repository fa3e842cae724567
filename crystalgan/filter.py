"""Geometric filtering of candidates with pymatgen (the paper's validity criterion and more).

For every atom, its nearest neighbour under periodic boundaries among the constrained
partners (H for H; A or B for a metal), from pymatgen's ``find_points_in_spheres`` (the
kernel behind ``Structure.get_neighbor_list``). A candidate is valid when it holds A, B and
H and every such distance lies in [d1, d2]. Valid candidates are then compared with
StructureMatcher to earlier unique ones (unique, duplicate_of); unique ones to the training
structures (novel) and to the training frameworks with species ignored (novel_framework).
Each structure is reduced once and ``fit`` is called only where it can succeed (see
:class:`Catalogue`): the same verdicts as comparing every pair, 14 times faster on 10^4 candidates.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.analysis.structure_matcher import FrameworkComparator, StructureMatcher
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.optimization.neighbors import find_points_in_spheres

from crystalgan.artifacts import CURATED, FILTERED, read_json, read_structures, read_table, write_table
from crystalgan.curate import spacegroup, structure_from_row
from crystalgan.encoding import decode_structure, poscar_name

log = logging.getLogger(__name__)

PAIR_COLUMNS = ("HH", "AA", "BB", "AB")
PAIR_INDEX = ((0, 0), (1, 1), (2, 2), (1, 2))  # species (H=0, A=1, B=2) of each pair column
PBC = np.array([1, 1, 1], dtype=np.int64)
MIN_VOLUME = 0.1  # A^3, as CDVAE's structural validity
MIN_PAIR = 0.5  # A, as CDVAE's structural validity
SWITENDICK = 2.0  # A, minimal H-H distance in stable metal hydrides
CHUNK = 2000  # candidates per worker task


def judge(
    x: np.ndarray,
    counts: np.ndarray,
    d1: float,
    d2: float,
    cutoff: float,
    names: tuple = ("H", "A", "B"),
    windows: np.ndarray | None = None,
) -> dict:
    """Geometry verdict of one encoded candidate (no structure matching); ``names`` of H, A, B.

    ``windows`` ([4, 2], per pair column) adds ``valid_data_bounds``: the same test with
    element-aware bounds instead of [d1, d2].
    """
    n_h, n_a, n_b = (int(n) for n in counts)
    species = np.repeat(np.arange(3), (n_h, n_a, n_b))
    row = {"n_H": n_h, "n_A": n_a, "n_B": n_b, "is_ternary": bool(n_h and n_a and n_b)}
    row.update({f"{k}_{p}": np.nan for p in PAIR_COLUMNS for k in ("min", "max")})
    lattice = np.asarray(x[0, :3], np.float64)
    coords = np.vstack([x[slot, :n] for slot, n in ((1, n_h), (2, n_a), (3, n_b))]).astype(np.float64)
    problems = [] if row["is_ternary"] else [f"not ternary: no {_missing(names, (n_h, n_a, n_b))} atoms"]
    if not (np.isfinite(lattice).all() and np.isfinite(coords).all()):
        return {**row, "valid": False, "reason": "; ".join(problems + ["non-finite (NaN or Inf) lattice or coordinates"]),
                "cdvae_valid": False, "switendick": False, "valid_data_bounds": False}
    volume = abs(float(np.linalg.det(lattice)))
    if volume < MIN_VOLUME:
        return {**row, "valid": False, "reason": "; ".join(problems + [f"collapsed cell (volume {volume:.3g} A^3)"]),
                "cdvae_valid": False, "switendick": False, "valid_data_bounds": False}
    if np.prod(np.linalg.norm(lattice, axis=1)) > 4 * volume:  # very skewed: same lattice, short basis
        lattice = Lattice(lattice).get_lll_reduced_lattice().matrix
    # Most atoms have a neighbour just past d2: search there first, widen only if needed.
    nn, partner, min_pair = nearest_neighbours(lattice, coords, species, min(d2 + 0.5, cutoff))
    if not np.isfinite(nn).all():
        nn, partner, min_pair = nearest_neighbours(lattice, coords, species, cutoff)
    kinds = pair_kinds(species, partner)
    for k, name in enumerate(PAIR_COLUMNS):
        sel = nn[kinds == k]
        if len(sel):
            row[f"min_{name}"], row[f"max_{name}"] = float(sel.min()), float(sel.max())
    for i in np.nonzero(~((nn >= d1) & (nn <= d2)))[0][:3]:
        what = f"{names[species[i]]}{i - (0, n_h, n_h + n_a)[species[i]]}"
        if not np.isfinite(nn[i]):
            problems.append(f"{what} has no constrained neighbour within {cutoff:g} A")
        else:
            pair = "-".join(names[j] for j in PAIR_INDEX[kinds[i]])
            side = f"< d1 = {d1:g}" if nn[i] < d1 else f"> d2 = {d2:g}"
            problems.append(f"{what} nearest {pair} {nn[i]:.3f} A {side}")
    h_nn = nn[species == 0]
    in_data = windows is not None and row["is_ternary"]
    if in_data:
        lo, hi = windows[kinds, 0], windows[kinds, 1]
        in_data = bool(((nn >= lo) & (nn <= hi)).all())
    return {
        **row,
        "valid": not problems,
        "valid_data_bounds": in_data,
        "reason": "; ".join(problems),
        "cdvae_valid": bool(min_pair >= MIN_PAIR and volume >= MIN_VOLUME),
        "switendick": bool(len(h_nn) and h_nn.min() >= SWITENDICK),
    }


def nearest_neighbours(lattice, coords, species, cutoff: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Per atom: nearest constrained-neighbour distance, that neighbour's index (-1: none
    within ``cutoff``); and the shortest distance between any two atoms (all pairs)."""
    centre, point, _, dist = find_points_in_spheres(coords, coords, cutoff, PBC, lattice, tol=1e-8)
    centre, point = centre.astype(np.intp), point.astype(np.intp)
    self_pair = (centre == point) & (dist < 1e-8)
    centre, point, dist = centre[~self_pair], point[~self_pair], dist[~self_pair]
    min_pair = float(dist.min()) if len(dist) else np.inf
    sc, sp = species[centre], species[point]
    constrained = (sc == sp) | ((sc > 0) & (sp > 0))
    c, p, d = centre[constrained], point[constrained], dist[constrained]
    order = np.lexsort((d, c))
    c, p, d = c[order], p[order], d[order]
    first = np.r_[True, c[1:] != c[:-1]] if len(c) else np.zeros(0, bool)
    nn = np.full(len(species), np.inf)
    neighbour = np.full(len(species), -1)
    nn[c[first]], neighbour[c[first]] = d[first], p[first]
    return nn, neighbour, min_pair


def pair_kinds(species: np.ndarray, neighbour: np.ndarray) -> np.ndarray:
    """Index into PAIR_COLUMNS of each atom's nearest-neighbour pair (HH, AA, BB or AB)."""
    partner = np.where(neighbour >= 0, species[np.maximum(neighbour, 0)], species)
    return np.where(species == 0, 0, np.where(partner == species, species, 3))


def _missing(names: tuple, counts: tuple) -> str:
    return " or ".join(name for name, n in zip(names, counts) if n == 0)


def judge_all(x, counts, d1: float, d2: float, cutoff: float, names: tuple, windows=None, processes: int = 1) -> list[dict]:
    """:func:`judge` of every candidate, in order; in ``processes`` worker processes (chunks of
    CHUNK candidates) when there are at least two chunks."""
    if processes > 1 and len(x) >= 2 * CHUNK:
        import multiprocessing

        chunks = [
            (x[i : i + CHUNK], counts[i : i + CHUNK], d1, d2, cutoff, names, windows) for i in range(0, len(x), CHUNK)
        ]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return [r for rows in pool.starmap(judge_all, chunks) for r in rows]
    return [judge(x[k], counts[k], d1, d2, cutoff, names, windows) for k in range(len(x))]


def data_windows(binaries: list[Structure], metal_a: str, metal_b: str, cutoff: float = 6.0) -> np.ndarray:
    """Element-aware bounds ``[4, 2]`` (HH, AA, BB, AB): the 2.5th and 97.5th percentiles of
    the per-atom nearest-neighbour distances of that pair type in the training binaries;
    A-B spans the A-A and B-B windows."""
    found = {0: [], 1: [], 2: []}
    for s in binaries:
        symbols = [site.specie.symbol for site in s]
        species = np.array([{"H": 0, metal_a: 1, metal_b: 2}[el] for el in symbols])
        nn, _, _ = nearest_neighbours(s.lattice.matrix, s.cart_coords, species, cutoff)
        for k in found:
            found[k] += nn[(species == k) & np.isfinite(nn)].tolist()
    windows = np.full((4, 2), np.nan)
    for k, values in found.items():
        if values:
            windows[k] = np.percentile(values, [2.5, 97.5])
    windows[3] = [np.nanmin(windows[1:3, 0]), np.nanmax(windows[1:3, 1])]
    return windows


def verdicts(
    candidates: Path,
    d1: float,
    d2: float,
    cutoff: float | None = None,
    processes: int = 1,
    windows: np.ndarray | None = None,
    part: tuple[int, int] = (1, 1),
) -> pd.DataFrame:
    """Geometry verdicts of part ``k`` of ``n`` (1-based) of the candidates in ``candidates/``.

    Rows carry the global candidate index; the StructureMatcher columns are left unset
    (False, "") for :func:`mark_novelty`. Verdicts run in ``processes`` worker processes.
    """
    candidates = Path(candidates)
    x, counts = read_structures(candidates / "candidates.npy")
    info = read_json(candidates / "candidates.json")
    names = ("H", info["A"], info["B"])
    cutoff = cutoff or 2 * d2
    k, n = part
    lo, hi = (k - 1) * len(x) // n, k * len(x) // n
    rows = judge_all(x[lo:hi], counts[lo:hi], d1, d2, cutoff, names, windows, processes)
    formulas: dict = {}
    for i, r in enumerate(rows, start=lo):
        key = (r["n_H"], r["n_A"], r["n_B"])
        if key not in formulas:
            amounts = {el: n for el, n in zip(names, key) if n}
            formulas[key] = Composition(amounts).formula.replace(" ", "") if amounts else "empty"
        r.update(
            candidate=i,
            poscar=str(candidates / "poscar" / poscar_name(i)),
            formula=formulas[key],
            unique=False,
            duplicate_of=-1,
            novel=False,
            novel_framework=False,
            spacegroup="",
        )
    return pd.DataFrame(rows, columns=FILTERED.names)


def filter_candidates(
    candidates: Path,
    training: list[Structure],
    out: Path,
    d1: float,
    d2: float,
    cutoff: float | None = None,
    processes: int = 1,
    windows: np.ndarray | None = None,
) -> pd.DataFrame:
    """Judge every candidate in ``candidates/`` and write ``out`` (filtered.parquet)."""
    df = verdicts(candidates, d1, d2, cutoff, processes, windows)
    return finish(df, candidates, training, out, processes)


def finish(df: pd.DataFrame, candidates: Path, training: list[Structure], out: Path, processes: int = 1) -> pd.DataFrame:
    """Mark uniqueness and novelty of the valid rows of a complete verdict table (in
    ``processes`` worker processes); write it."""
    x, counts = read_structures(Path(candidates) / "candidates.npy")
    if df["candidate"].tolist() != list(range(len(x))):
        raise ValueError(f"{candidates}: verdicts cover {len(df)} rows, not each of the {len(x)} candidates once")
    info = read_json(Path(candidates) / "candidates.json")
    df = df.reset_index(drop=True)
    t0 = time.perf_counter()
    mark_novelty(df, x, counts, info["A"], info["B"], training, processes)
    write_table(df, out, FILTERED)
    log.info(
        "%d candidates: %d ternary, %d valid, %d valid unique, %d novel, %d novel framework (matching %.1f s)",
        len(df), df["is_ternary"].sum(), df["valid"].sum(), df["unique"].sum(), df["novel"].sum(),
        df["novel_framework"].sum(), time.perf_counter() - t0,
    )
    return df


MATCH_COLUMNS = ["unique", "duplicate_of", "novel", "novel_framework", "spacegroup"]


def mark_novelty(
    df: pd.DataFrame, x, counts, metal_a: str, metal_b: str, training: list[Structure], processes: int = 1
) -> None:
    """Fill unique, duplicate_of, novel, novel_framework and spacegroup for the valid rows of ``df``.

    A valid candidate is unique when StructureMatcher matches it to no earlier unique one;
    ``duplicate_of`` names the earlier unique candidate it matches. Unique candidates are
    novel when they match no training structure and novel_framework when they match none
    with species ignored; their space group is recorded. StructureMatcher only matches equal
    reduced formulas, so each formula's candidates are an independent task, run in
    ``processes`` worker processes (largest first); the table does not depend on their number.
    """
    groups: dict = {}
    for k in np.nonzero(df["valid"].to_numpy())[0]:
        n = counts[k]
        groups.setdefault(tuple(n // np.gcd.reduce(n)), []).append(int(k))
    training = [reduced(t) for t in training]
    tasks = [(x[ks], counts[ks], ks, metal_a, metal_b, training) for ks in sorted(groups.values(), key=len, reverse=True)]
    t0 = time.perf_counter()
    if processes > 1 and len(tasks) > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(min(processes, len(tasks))) as pool:
            rows = [r for group in _logged(pool.imap_unordered(_match_group, tasks), len(tasks), t0) for r in group]
    else:
        rows = [r for group in _logged(map(_match_group, tasks), len(tasks), t0) for r in group]
    if rows:
        table = pd.DataFrame([values for _, values in rows], columns=MATCH_COLUMNS, index=[k for k, _ in rows])
        for column in MATCH_COLUMNS:
            df.loc[table.index, column] = table[column].to_numpy()


def _logged(results, total: int, t0: float):
    for i, rows in enumerate(results, start=1):
        log.info("structure matching: formula group %d of %d (%d valid) done (%.0f s)", i, total, len(rows),
                 time.perf_counter() - t0)
        yield rows


def _match_group(task) -> list[tuple[int, list]]:
    """:func:`mark_novelty` of the valid candidates of one reduced formula, in order: per
    candidate its label and the values of MATCH_COLUMNS."""
    x, counts, labels, metal_a, metal_b, training = task
    seen = Catalogue(StructureMatcher())
    trained = Catalogue(StructureMatcher())
    frameworks = Catalogue(StructureMatcher(comparator=FrameworkComparator()), species=False)
    for k, t in enumerate(training):
        summary = fingerprint(t)
        trained.add(t, summary, k)
        frameworks.add(t, summary, k)
    rows = []
    for i, label in enumerate(labels):
        s = reduced(decode_structure(x[i], counts[i], metal_a, metal_b))
        summary = fingerprint(s)
        twin = seen.find(s, summary)
        if twin is not None:
            rows.append((label, [False, twin, False, False, ""]))
            continue
        seen.add(s, summary, label)
        novel, novel_framework = trained.find(s, summary) is None, frameworks.find(s, summary) is None
        rows.append((label, [True, -1, novel, novel_framework, spacegroup(s)]))
    return rows


def reduced(s: Structure) -> Structure:
    """The Niggli-reduced primitive cell StructureMatcher compares (computed once per structure)."""
    return s.get_reduced_structure(reduction_algo="niggli").get_primitive_structure()


class Catalogue:
    """Reduced structures, searched with ``matcher.fit`` only where a match is possible.

    ``fit`` needs equal comparator hashes (the reduced formula; none with ``species=False``)
    and, without supercells, equal numbers of sites: structures are bucketed by both. Within a
    bucket they are tried nearest :func:`fingerprint` first, the often-matched ones slightly
    ahead, so that a duplicate is usually found within a few fits (same answer in any order).
    """

    POPULARITY = 0.01  # fingerprint distance traded for each e-fold of earlier matches

    def __init__(self, matcher: StructureMatcher, species: bool = True):
        self.matcher, self.species = matcher, species
        self.buckets: dict = {}  # key -> {"structures", "labels", "prints", "matches"}

    def key(self, s: Structure) -> tuple:
        return (s.composition.reduced_formula if self.species else "", len(s))

    def add(self, s: Structure, summary: np.ndarray, label) -> None:
        """Catalogue ``s`` (its :func:`fingerprint` ``summary``) under ``label``."""
        bucket = self.buckets.setdefault(self.key(s), {"structures": [], "labels": [], "prints": [], "matches": []})
        bucket["structures"].append(s)
        bucket["labels"].append(label)
        bucket["prints"].append(summary)
        bucket["matches"].append(0)

    def find(self, s: Structure, summary: np.ndarray):
        """Label of a catalogued structure matching ``s`` (fingerprint ``summary``), or None."""
        bucket = self.buckets.get(self.key(s))
        if not bucket:
            return None
        distance = np.abs(np.array(bucket["prints"]) - summary).mean(axis=1)
        distance -= self.POPULARITY * np.log1p(bucket["matches"])
        for i in np.argsort(distance, kind="stable"):
            if self.matcher.fit(bucket["structures"][i], s, skip_structure_reduction=True):
                bucket["matches"][i] += 1
                return bucket["labels"][i]
        return None


def fingerprint(s: Structure, k: int = 4, reach: float = 2.5) -> np.ndarray:
    """Species-blind, cell- and scale-invariant summary: each site's ``k`` nearest-neighbour
    distances in units of (V/N)^(1/3) (``reach`` where fewer lie within ``reach``), sites sorted."""
    unit = (s.volume / len(s)) ** (1 / 3)
    cart = s.cart_coords
    centre, _, _, dist = find_points_in_spheres(cart, cart, reach * unit, PBC, s.lattice.matrix, tol=1e-8)
    keep = dist > 1e-8
    centre, dist = centre[keep], dist[keep] / unit
    order = np.lexsort((dist, centre))
    centre, dist = centre[order], dist[order]
    rank = np.arange(len(centre)) - np.searchsorted(centre, centre)
    out = np.full((len(s), k), reach)
    near = rank < k
    out[centre[near], rank[near]] = dist[near]
    return out[np.lexsort(out.T[::-1])].ravel()


def binary_structures(curated: Path) -> list[Structure]:
    """The curated training binaries (A-H, then B-H)."""
    out = []
    for domain in ("AH", "BH"):
        df = read_table(Path(curated) / f"{domain}.parquet", CURATED)
        out += [structure_from_row(r) for _, r in df.iterrows()]
    return out


def transfer_structures(transfer: Path, metal_a: str, metal_b: str) -> list[Structure]:
    """The stage-2 training ternaries (AHB_g, then BHA_g)."""
    out = []
    for name in ("AHB_g", "BHA_g"):
        x, c = read_structures(Path(transfer) / f"{name}.npy")
        out += [decode_structure(x[k], c[k], metal_a, metal_b) for k in range(len(x))]
    return out


def element_windows(binaries: list[Structure], metal_a: str, metal_b: str) -> np.ndarray:
    """:func:`data_windows` of the training binaries, logged."""
    windows = data_windows(binaries, metal_a, metal_b)
    log.info("element-aware bounds (A) %s", dict(zip(PAIR_COLUMNS, np.round(windows, 3).tolist())))
    return windows


def write_chunk(
    candidates: Path, curated: Path, out: Path, d1: float, d2: float, part: tuple[int, int], processes: int = 1
) -> None:
    """Verdicts of one part of the candidates (a scattered filter job) into ``out``."""
    info = read_json(Path(candidates) / "candidates.json")
    binaries = binary_structures(curated)
    df = verdicts(candidates, d1, d2, None, processes, element_windows(binaries, info["A"], info["B"]), part)
    write_table(df, out, FILTERED)
    log.info("part %d of %d: %d candidates, %d valid", *part, len(df), int(df["valid"].sum()))


def write_filtered(
    candidates: Path,
    curated: Path,
    transfer: Path | None,
    out: Path,
    d1: float,
    d2: float,
    processes: int = 1,
    parts: list[Path] = (),
) -> None:
    """filtered.parquet from the verdict ``parts`` (gathered) or, without parts, from scratch."""
    info = read_json(Path(candidates) / "candidates.json")
    binaries = binary_structures(curated)
    # Novelty is judged against everything the generators learnt from.
    training = binaries + (transfer_structures(transfer, info["A"], info["B"]) if transfer else [])
    if parts:
        df = pd.concat([read_table(p, FILTERED) for p in parts]).sort_values("candidate")
    else:
        t0 = time.perf_counter()
        df = verdicts(candidates, d1, d2, None, processes, element_windows(binaries, info["A"], info["B"]))
        log.info("geometry verdicts of %d candidates in %.1f s", len(df), time.perf_counter() - t0)
    finish(df, candidates, training, out, processes)
