"""Uniqueness and novelty of valid candidates with pymatgen's StructureMatcher.

Valid candidates are compared with StructureMatcher (defaults) to earlier unique ones
(unique, duplicate_of); unique ones to the training structures (novel) and to the training
frameworks with species ignored (novel_framework). Each structure is reduced once and
``fit`` is called only where it can succeed (see :class:`Catalogue` and :func:`lattices_map`):
the same verdicts as comparing every pair.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import pandas as pd
from pymatgen.analysis.structure_matcher import FrameworkComparator, StructureMatcher
from pymatgen.core import Lattice, Structure
from pymatgen.optimization.neighbors import find_points_in_spheres

from crystalgan.structures import decode_structure, spacegroup
from crystalgan.verdicts import PBC

log = logging.getLogger(__name__)


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
    tasks = [
        (x[ks], counts[ks], ks, metal_a, metal_b, training) for ks in sorted(groups.values(), key=len, reverse=True)
    ]
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
        log.info(
            "structure matching: formula group %d of %d (%d valid) done (%.0f s)",
            i,
            total,
            len(rows),
            time.perf_counter() - t0,
        )
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
    """The Niggli-reduced primitive cell StructureMatcher compares (computed once per structure).
    Where the species' counts have no common divisor no smaller cell exists, and
    ``get_primitive_structure`` returns a copy: it is skipped."""
    niggli = s.get_reduced_structure(reduction_algo="niggli")
    if math.gcd(*(int(n) for n in niggli.composition.values())) == 1:
        return niggli
    return niggli.get_primitive_structure()


class Catalogue:
    """Reduced structures, searched with ``matcher.fit`` only where a match is possible.

    ``fit`` needs equal comparator hashes (the reduced formula; none with ``species=False``)
    and, without supercells, equal numbers of sites: structures are bucketed by both. Within a
    bucket they are tried nearest :func:`fingerprint` first, the often-matched ones slightly
    ahead, so that a duplicate is usually found within a few fits (same answer in any order),
    and only where :func:`lattices_map` says their lattices can be mapped onto each other.
    """

    POPULARITY = 0.01  # fingerprint distance traded for each e-fold of earlier matches

    def __init__(self, matcher: StructureMatcher, species: bool = True):
        self.matcher, self.species = matcher, species
        self.buckets: dict = {}  # key -> {"structures", "labels", "prints", "matches", "cells"}

    def key(self, s: Structure) -> tuple:
        return (s.composition.reduced_formula if self.species else "", len(s))

    def add(self, s: Structure, summary: np.ndarray, label) -> None:
        """Catalogue ``s`` (its :func:`fingerprint` ``summary``) under ``label``."""
        bucket = self.buckets.setdefault(
            self.key(s), {"structures": [], "labels": [], "prints": [], "matches": [], "cells": []}
        )
        bucket["structures"].append(s)
        bucket["labels"].append(label)
        bucket["prints"].append(summary)
        bucket["matches"].append(0)
        bucket["cells"].append(Cell(s))

    def find(self, s: Structure, summary: np.ndarray):
        """Label of a catalogued structure matching ``s`` (fingerprint ``summary``), or None."""
        bucket = self.buckets.get(self.key(s))
        if not bucket:
            return None
        distance = np.abs(np.array(bucket["prints"]) - summary).mean(axis=1)
        distance -= self.POPULARITY * np.log1p(bucket["matches"])
        target = shape(s), self.matcher.ltol, self.matcher.angle_tol
        for i in np.argsort(distance, kind="stable"):
            if not lattices_map(bucket["cells"][i], *target):
                continue
            if self.matcher.fit(bucket["structures"][i], s, skip_structure_reduction=True):
                bucket["matches"][i] += 1
                return bucket["labels"][i]
        return None


# How much wider than pymatgen's tolerances lattices_map looks, so that rounding in either
# never makes it reject a lattice that pymatgen accepts.
LENGTH_MARGIN = 1e-6  # relative
ANGLE_MARGIN = 1e-3  # degrees


def shape(s: Structure) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (in units of volume^(1/3)) and angles (degrees) of the lattice of ``s``:
    StructureMatcher (scale=True) compares two lattices scaled to one volume."""
    return np.array(s.lattice.abc) / s.volume ** (1 / 3), np.array(s.lattice.angles)


class Cell:
    """The lattice of a catalogued structure at unit volume: its successive minima (the
    lengths of its three shortest independent vectors, less a margin that covers Niggli
    reduction's tolerance) and its lattice vectors up to a length, enumerated once."""

    def __init__(self, s: Structure):
        self.cell = s.lattice.matrix / s.volume ** (1 / 3)
        self.minima = np.sort(Lattice(self.cell).get_niggli_reduced_lattice().abc) * (1 - 100 * LENGTH_MARGIN)
        self.reach = 0.0
        self.column_norms = np.linalg.norm(np.linalg.inv(self.cell), axis=0)

    def vectors(self, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Integer coordinates, vectors and lengths of every lattice vector at most ``reach`` long
        (and possibly some longer)."""
        if reach > self.reach:
            self.reach = reach * 1.5
            bound = np.floor(self.reach * self.column_norms).astype(int)
            grid = np.stack(np.meshgrid(*(np.arange(-b, b + 1) for b in bound), indexing="ij"), -1).reshape(-1, 3)
            vectors = grid @ self.cell
            self.grid, self.vecs, self.norms = grid, vectors, np.linalg.norm(vectors, axis=1)
        return self.grid, self.vecs, self.norms


def lattices_map(cell: Cell, target: tuple, ltol: float, angle_tol: float) -> bool:
    """Whether lattice ``cell`` has a basis whose lengths lie within ``ltol`` (ratio within
    (1/(1+ltol), 1+ltol)) of the lengths of ``target`` and whose angles within ``angle_tol``
    degrees of its angles (``target``: :func:`shape`), each widened by a margin.

    This is the test that ``StructureMatcher.fit(t, s)`` without supercells applies first
    (``Lattice.find_all_mappings`` of t's lattice onto s's, each at their common volume, and a
    basis: |det| = 1), so that where it fails, ``fit`` fails: lattices at unit volume are the
    same test with both lattices scaled alike. It first asks the cheaper question whether the
    cell's successive minima, one by one, are shorter than the target's sorted lengths allow:
    no basis of a lattice is shorter.
    """
    lengths, (alpha, beta, gamma) = target
    high = (1 + ltol) * (1 + LENGTH_MARGIN)
    if (cell.minima >= np.sort(lengths) * high).any():
        return False
    grid, vectors, norms = cell.vectors(lengths.max() * high)
    near = [(norms < length * high) & (norms > length / high) for length in lengths]
    if not all(n.any() for n in near):
        return False
    a, b, c = (vectors[n] for n in near)
    la, lb, lc = (norms[n] for n in near)
    tol = angle_tol + ANGLE_MARGIN
    ab = np.abs(_angles(a, b, la, lb) - gamma) <= tol
    ac = np.abs(_angles(a, c, la, lc) - beta) <= tol
    bc = np.abs(_angles(b, c, lb, lc) - alpha) <= tol
    i, j, k = np.nonzero(ab[:, :, None] & ac[:, None, :] & bc[None, :, :])
    if not len(i):
        return False
    bases = np.stack([grid[near[0]][i], grid[near[1]][j], grid[near[2]][k]], axis=1)
    return bool((np.abs(np.rint(np.linalg.det(bases))) == 1).any())


def _angles(u: np.ndarray, v: np.ndarray, lu: np.ndarray, lv: np.ndarray) -> np.ndarray:
    """Angles in degrees between each row of ``u`` and each row of ``v`` (lengths ``lu``, ``lv``)."""
    return np.degrees(np.arccos(np.clip(u @ v.T / lu[:, None] / lv, -1, 1)))


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
