"""Uniqueness and novelty of valid candidates with pymatgen's StructureMatcher.

Valid candidates are compared with StructureMatcher (defaults) to earlier unique ones
(unique, duplicate_of); unique ones to the training structures (novel) and to the training
frameworks with species ignored (novel_framework). Each structure is reduced once, and a pair
goes to ``fit`` only where its answer is not already shown by ``fit``'s own steps (see
:class:`Catalogue`): the same verdicts as comparing every pair with ``fit``.
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

from crystalgan.core.structures import PBC, decode_structure, spacegroup

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
    ``get_primitive_structure`` is skipped where it cannot find a smaller cell and would return
    a copy: where the species' counts have no common divisor, or where no translation maps the
    sites onto themselves (:func:`may_repeat`)."""
    niggli = s.get_reduced_structure(reduction_algo="niggli")
    if math.gcd(*(int(n) for n in niggli.composition.values())) == 1 or not may_repeat(niggli):
        return niggli
    return niggli.get_primitive_structure()


PRIMITIVE_TOLERANCE = 0.25  # Å, get_primitive_structure's default


def may_repeat(s: Structure) -> bool:
    """Whether ``get_primitive_structure`` (default tolerance) could find a smaller cell of ``s``.

    It first keeps the translations from one site of the rarest species to the others that map
    every site within twice its fractional tolerance (per axis) onto a site of the same species,
    and then needs one of them to be close to a non-integral row of an inverse supercell matrix:
    a fraction k/m of a lattice vector, with m at most the counts' common divisor, which only
    the zero translation can be where every cell length exceeds the tolerance times that divisor.
    The same test with the tolerance widened by a margin: False means it returns ``s`` unchanged.
    """
    species = np.array(s.atomic_numbers)
    frac = s.frac_coords
    groups = [frac[species == z] for z in np.unique(species)]
    rarest = min(groups, key=len)
    abc = np.array(s.lattice.abc)
    divisor = math.gcd(*(len(g) for g in groups))
    if (abc < PRIMITIVE_TOLERANCE * divisor * (1 + LENGTH_MARGIN)).any():
        return True
    tol = 2 * PRIMITIVE_TOLERANCE / abc * (1 + LENGTH_MARGIN)
    shifts = rarest[1:] - rarest[0]
    for g in groups:
        d = shifts[:, None, None, :] - (g[None, None, :, :] - g[None, :, None, :])
        d -= np.round(d)
        shifts = shifts[(np.abs(d) < tol).all(-1).any(-1).all(-1)]
        if not len(shifts):
            return False
    return True


class Catalogue:
    """Reduced structures, searched for one that ``matcher.fit`` matches.

    ``fit`` needs equal comparator hashes (the reduced formula; none with ``species=False``)
    and, without supercells, equal numbers of sites: structures are bucketed by both. Within a
    bucket they are tried nearest :func:`fingerprint` first, the often-matched ones slightly
    ahead, so that a duplicate is usually found within a few tries (same answer in any order).
    Each try is :meth:`proven`, and ``fit`` where that cannot decide.
    """

    POPULARITY = 0.01  # fingerprint distance traded for each e-fold of earlier matches

    def __init__(self, matcher: StructureMatcher, species: bool = True):
        self.matcher, self.species = matcher, species
        self.buckets: dict = {}  # key -> {"structures", "labels", "prints", "matches", "cells", "numbers"}

    def key(self, s: Structure) -> tuple:
        return (s.composition.reduced_formula if self.species else "", len(s))

    def add(self, s: Structure, summary: np.ndarray, label) -> None:
        """Catalogue ``s`` (its :func:`fingerprint` ``summary``) under ``label``."""
        bucket = self.buckets.setdefault(
            self.key(s), {"structures": [], "labels": [], "prints": [], "matches": [], "cells": [], "numbers": []}
        )
        bucket["structures"].append(s)
        bucket["labels"].append(label)
        bucket["prints"].append(summary)
        bucket["matches"].append(0)
        bucket["cells"].append(Cell(s))
        bucket["numbers"].append(np.array(s.atomic_numbers))

    def find(self, s: Structure, summary: np.ndarray):
        """Label of a catalogued structure matching ``s`` (fingerprint ``summary``), or None."""
        bucket = self.buckets.get(self.key(s))
        if not bucket:
            return None
        distance = np.abs(np.array(bucket["prints"]) - summary).mean(axis=1)
        distance -= self.POPULARITY * np.log1p(bucket["matches"])
        target, numbers = shape(s), np.array(s.atomic_numbers)
        for i in np.argsort(distance, kind="stable"):
            t = bucket["structures"][i]
            species = (bucket["numbers"][i], numbers) if self.species else None
            verdict = self.proven(t, s, bucket["cells"][i], target, species)
            if verdict is None:
                verdict = self.matcher.fit(t, s, skip_structure_reduction=True)
            if verdict:
                bucket["matches"][i] += 1
                return bucket["labels"][i]
        return None

    def proven(self, t: Structure, s: Structure, cell: Cell, target: tuple, species) -> bool | None:
        """What ``matcher.fit(t, s)`` returns, where it can be shown from its own steps with a
        margin; None where it cannot (``fit`` then decides). ``cell``: :class:`Cell` of ``t``;
        ``target``: :func:`shape` of ``s``; ``species``: the atomic numbers of t's and s's sites,
        or None where species are ignored.

        ``fit`` tries every mapping of t's lattice onto s's (:func:`bases`) and every
        translation that puts the first site of s's rarest species on a site of t of that
        species, and returns True at the first that passes two tests: every site of s within a
        fractional tolerance (per axis) of a site of t of the same species, and the optimal
        assignment's largest distance (pymatgen's ``_cart_dists``) below ``stol``. Here the
        first test runs on all of them at once in numpy, with the tolerances narrowed by a
        margin to show True (mappings inside the tolerances, closest first) and widened to
        show False, and the second with pymatgen's own function on the few that pass.
        """
        matcher = self.matcher
        found, inside = mappings(cell, target, matcher.ltol, matcher.angle_tol)
        if not len(found):
            return False
        ratio = (s.volume / t.volume) ** (1 / 6)  # fit compares both at their common volume
        scaled = t.lattice.matrix * ratio
        lattices = found @ scaled
        fc = np.einsum("nj,kji->kni", t.frac_coords @ scaled, np.linalg.inv(lattices))
        fc -= np.floor(fc)
        averages = (_parameters(lattices) + _parameters((s.lattice.matrix / ratio)[None])) / 2
        lengths, cosines = averages[:, :3], np.cos(np.radians(averages[:, 3:]))
        sines = np.sqrt(1 - cosines**2)
        volume = lengths.prod(axis=1) * np.sqrt(1 - (cosines**2).sum(axis=1) + 2 * cosines.prod(axis=1))
        normalization = (len(t) / volume) ** (1 / 3)
        reciprocal = 2 * np.pi * lengths[:, [1, 0, 0]] * lengths[:, [2, 2, 1]] * sines / volume[:, None]
        frac_tol = reciprocal * matcher.stol / (np.pi * normalization[:, None])

        frac = s.frac_coords
        if species is not None:
            allowed = species[1][:, None] == species[0][None, :]
        else:
            allowed = np.ones((len(s), len(t)), dtype=bool)
        anchor = int(np.argmin(allowed.sum(axis=1)))
        starts = np.nonzero(allowed[anchor])[0]
        moved = frac[None, None] + (fc[:, starts] - frac[anchor])[:, :, None, :]  # (mapping, start, site, 3)
        d = moved[:, :, :, None, :] - fc[:, None, None, :, :]
        d = np.abs(d - np.round(d))
        tol = frac_tol[:, None, None, None, :]
        passes = {}
        for side, scale in (("narrow", 1 - STOL_MARGIN), ("wide", 1 + STOL_MARGIN)):
            passes[side] = ((d < tol * scale).all(axis=-1) & allowed).any(axis=-1).all(axis=-1)
        mask = (~allowed).astype(np.int64)
        undecided, average = False, {}  # mapping -> its average lattice and LLL tolerance, as fit's
        for k, j in zip(*np.nonzero(passes["wide"])):
            if k not in average:
                lattice = Lattice.from_parameters(*averages[k])
                lll = np.array(lattice.get_lll_reduced_lattice().reciprocal_lattice.abc)
                average[k] = lattice, lll * matcher.stol / (np.pi * normalization[k])
            lattice, lll_tol = average[k]
            dist, _, _ = StructureMatcher._cart_dists(fc[k], moved[k, j], lattice, mask, normalization[k], lll_tol)
            if inside[k] and passes["narrow"][k, j] and dist.max() < matcher.stol * (1 - STOL_MARGIN):
                return True
            undecided |= dist.max() < matcher.stol * (1 + STOL_MARGIN)
        return None if undecided else False


# How much wider than pymatgen's tolerances mappings looks, so that rounding in either
# never makes it reject a lattice that pymatgen accepts.
LENGTH_MARGIN = 1e-6  # relative
ANGLE_MARGIN = 1e-3  # degrees
STOL_MARGIN = 1e-6  # relative, on Catalogue.proven's fractional and distance tolerances


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


def mappings(cell: Cell, target: tuple, ltol: float, angle_tol: float) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`bases` of lattice ``cell`` that ``StructureMatcher.fit(t, s)`` (no supercells)
    may try as mappings of t's lattice onto s's (``target``: :func:`shape` of s), so that where
    there are none, ``fit`` fails: lattices at unit volume are its test with both lattices
    scaled alike. It first asks the cheaper question whether the cell's successive minima, one
    by one, are shorter than the target's sorted lengths allow: no basis of a lattice is shorter.
    """
    if (cell.minima >= np.sort(target[0]) * (1 + ltol) * (1 + LENGTH_MARGIN)).any():
        return np.zeros((0, 3, 3), dtype=int), np.zeros(0, dtype=bool)
    return bases(cell, target, ltol, angle_tol)


def bases(cell: Cell, target: tuple, ltol: float, angle_tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer coordinates (k, 3, 3) of the bases of ``cell`` whose lengths and angles match
    ``target`` (:func:`shape`) within ``ltol`` and ``angle_tol`` as ``find_all_mappings`` tests
    them, widened by a margin, closest first; and whether each also matches with the
    tolerances narrowed by that margin."""
    lengths, (alpha, beta, gamma) = target
    high = (1 + ltol) * (1 + LENGTH_MARGIN)
    grid, vectors, norms = cell.vectors(lengths.max() * high)
    near = [(norms < length * high) & (norms > length / high) for length in lengths]
    if not all(n.any() for n in near):
        return np.zeros((0, 3, 3), dtype=int), np.zeros(0, dtype=bool)
    a, b, c = (vectors[n] for n in near)
    la, lb, lc = (norms[n] for n in near)
    tol = angle_tol + ANGLE_MARGIN
    ab = np.abs(_angles(a, b, la, lb) - gamma)
    ac = np.abs(_angles(a, c, la, lc) - beta)
    bc = np.abs(_angles(b, c, lb, lc) - alpha)
    i, j, k = np.nonzero((ab <= tol)[:, :, None] & (ac <= tol)[:, None, :] & (bc <= tol)[None, :, :])
    found = np.stack([grid[near[0]][i], grid[near[1]][j], grid[near[2]][k]], axis=1)
    basis = np.abs(np.rint(np.linalg.det(found))) == 1
    ratios = np.abs(np.log(np.stack([la[i], lb[j], lc[k]], axis=1) / lengths))
    bends = np.stack([ab[i, j], ac[i, k], bc[j, k]], axis=1)
    narrow = (ratios < np.log((1 + ltol) / (1 + LENGTH_MARGIN))).all(axis=1) & (bends <= angle_tol - ANGLE_MARGIN).all(
        axis=1
    )
    order = np.argsort((ratios.sum(axis=1) + np.radians(bends.sum(axis=1)))[basis], kind="stable")
    return found[basis][order], narrow[basis][order]


def _parameters(matrices: np.ndarray) -> np.ndarray:
    """Lengths and angles (degrees) of lattices (k, 3, 3), as ``Lattice.parameters``."""
    lengths = np.linalg.norm(matrices, axis=2)
    angles = [
        np.einsum("ki,ki->k", matrices[:, (d + 1) % 3], matrices[:, (d + 2) % 3])
        / (lengths[:, (d + 1) % 3] * lengths[:, (d + 2) % 3])
        for d in range(3)
    ]
    return np.concatenate([lengths, np.degrees(np.arccos(np.clip(np.stack(angles, axis=1), -1, 1)))], axis=1)


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
