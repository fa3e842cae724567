"""Geometry verdicts of encoded candidates with pymatgen: the paper's validity criterion and more.

For every atom, its nearest neighbour under periodic boundaries among the constrained
partners (H for H; A or B for a metal), from pymatgen's ``find_points_in_spheres`` (the
kernel behind ``Structure.get_neighbor_list``). A candidate is valid when it holds A, B and
H and every such distance lies in [d1, d2]. Rows also carry CDVAE's structural validity,
the Switendick criterion and the test with element-aware windows (``valid_data_bounds``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Composition, Lattice, Structure
from pymatgen.optimization.neighbors import find_points_in_spheres

from crystalgan.core.artifacts import ATOM_SLOTS, FILTERED, LATTICE_SLOT, NEIGHBOURS
from crystalgan.core.structures import PBC, poscar_name

PAIR_COLUMNS = ("HH", "AA", "BB", "AB")
PAIR_INDEX = ((0, 0), (1, 1), (2, 2), (1, 2))  # species (H=0, A=1, B=2) of each pair column
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
    lattice = np.asarray(x[LATTICE_SLOT, :3], np.float64)
    coords = np.vstack([x[slot, :n] for slot, n in zip(ATOM_SLOTS, (n_h, n_a, n_b))]).astype(np.float64)
    problems = [] if row["is_ternary"] else [f"not ternary: no {_missing(names, (n_h, n_a, n_b))} atoms"]
    if not (np.isfinite(lattice).all() and np.isfinite(coords).all()):
        return {
            **row,
            "valid": False,
            "reason": "; ".join(problems + ["non-finite (NaN or Inf) lattice or coordinates"]),
            "cdvae_valid": False,
            "switendick": False,
            "valid_data_bounds": False,
        }
    volume = abs(float(np.linalg.det(lattice)))
    if volume < MIN_VOLUME:
        return {
            **row,
            "valid": False,
            "reason": "; ".join(problems + [f"collapsed cell (volume {volume:.3g} A^3)"]),
            "cdvae_valid": False,
            "switendick": False,
            "valid_data_bounds": False,
        }
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


def judge_all(
    x, counts, d1: float, d2: float, cutoff: float, names: tuple, windows=None, processes: int = 1
) -> list[dict]:
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


def verdict_table(
    x: np.ndarray,
    counts: np.ndarray,
    names: tuple,
    poscar_dir: Path,
    d1: float,
    d2: float,
    processes: int = 1,
    windows: np.ndarray | None = None,
    part: tuple[int, int] = (1, 1),
) -> pd.DataFrame:
    """Geometry verdicts (FILTERED rows) of part ``k`` of ``n`` (1-based) of the candidates
    ``x``, ``counts`` (element ``names`` of H, A, B; POSCARs in ``poscar_dir``).

    Rows carry the global candidate index; the StructureMatcher columns are left unset
    (False, -1, "") for :func:`crystalgan.core.matching.mark_novelty`. Verdicts run in
    ``processes`` worker processes; neighbours are searched up to 2 * d2.
    """
    k, n = part
    lo, hi = (k - 1) * len(x) // n, k * len(x) // n
    rows = judge_all(x[lo:hi], counts[lo:hi], d1, d2, 2 * d2, names, windows, processes)
    formulas: dict = {}
    for i, r in enumerate(rows, start=lo):
        key = (r["n_H"], r["n_A"], r["n_B"])
        if key not in formulas:
            amounts = {el: n for el, n in zip(names, key) if n}
            formulas[key] = Composition(amounts).formula.replace(" ", "") if amounts else "empty"
        r.update(
            candidate=i,
            poscar=str(Path(poscar_dir) / poscar_name(i)),
            formula=formulas[key],
            unique=False,
            duplicate_of=-1,
            unseen=False,
            unseen_framework=False,
            spacegroup="",
        )
    return pd.DataFrame(rows, columns=FILTERED.names)


def neighbour_table(x: np.ndarray, counts: np.ndarray, candidates, names: tuple, cutoff: float) -> pd.DataFrame:
    """Per atom of each of ``candidates``: its nearest constrained neighbour and their distance
    (the paper's Figure 5), e.g. ``H0``, ``Pd1``, ``H-H``, 2.1."""
    rows = []
    for k in candidates:
        n = counts[k]
        species = np.repeat(np.arange(3), n)
        coords = np.vstack([x[k, slot, : n[i]] for i, slot in enumerate(ATOM_SLOTS)]).astype(float)
        nn, neighbour, _ = nearest_neighbours(x[k, LATTICE_SLOT, :3].astype(float), coords, species, cutoff)
        label = [f"{names[s]}{i - int(np.sum(n[:s]))}" for i, s in enumerate(species)]
        for i in range(len(species)):
            j = neighbour[i]
            rows.append((int(k), label[i], label[j], f"{names[species[i]]}-{names[species[j]]}", float(nn[i])))
    return pd.DataFrame(rows, columns=NEIGHBOURS.names)
