"""The project's one structure matcher: pymatgen's StructureMatcher with its defaults (ltol 0.2,
stol 0.3, angle_tol 5), for every "same crystal" question a stage asks.

:class:`Matcher` answers the three of a stream of structures: unique (no match with an earlier
one it has seen: curation's deduplication, the filter's and the relaxed candidates'
uniqueness), novel (no match with a known structure: the training data) and novel framework
(novel, and its :func:`framework`, every site one species and reduced as such, matching no
known structure's: an ordered substitution of a known structure's sites is not a new
framework). Curation's prototype pairing searches a :class:`Catalogue` of the other side's
prototypes with it.

Each structure is reduced once (:class:`Reduced`), and a pair goes to ``fit`` only where its
answer is not already shown by ``fit``'s own steps (:meth:`Catalogue.proven`): the same
verdicts as comparing every pair with ``StructureMatcher().fit``. pymatgen's private
``StructureMatcher._cart_dists`` is used here and nowhere else.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Lattice, Structure
from pymatgen.optimization.neighbors import find_points_in_spheres

from crystalgan.core.structures import PBC, decode_structure, spacegroup

log = logging.getLogger(__name__)


MATCH_COLUMNS = ["unique", "duplicate_of", "unseen", "unseen_framework", "spacegroup"]  # of FILTERED

FRAMEWORK_SPECIES = "X0+"  # the one dummy species of every site of a framework


def framework(s: Structure) -> Structure:
    """``s`` with every site one dummy species: its framework (species ignored), to be reduced
    as such, so that an ordered substitution of a structure's sites has that structure's
    framework (a Cu3Au-type ordering of a rocksalt hydride's metals: the rocksalt framework)."""
    return Structure(s.lattice, [FRAMEWORK_SPECIES] * len(s), s.frac_coords)


class Reduced:
    """A structure as the matcher compares it: its Niggli-reduced primitive cell (:func:`reduced`,
    ``structure``), :func:`fingerprint` (``print``), :func:`shape` and atomic numbers, computed
    once; its :class:`Cell` and its framework's Reduced when first asked for. ``source`` is the
    structure given."""

    def __init__(self, s: Structure):
        self.source = s
        self.structure = reduced(s)
        self.print = fingerprint(self.structure)
        self.shape = shape(self.structure)
        self.numbers = np.array(self.structure.atomic_numbers)
        self._cell: Cell | None = None
        self._framework: Reduced | None = None

    @property
    def cell(self) -> Cell:
        if self._cell is None:
            self._cell = Cell(self.structure)
        return self._cell

    @property
    def framework(self) -> Reduced:
        """The Reduced :func:`framework` of ``source``."""
        if self._framework is None:
            self._framework = Reduced(framework(self.source))
        return self._framework


def as_reduced(s: Structure | Reduced) -> Reduced:
    return s if isinstance(s, Reduced) else Reduced(s)


class Verdict(NamedTuple):
    """What :meth:`Matcher.judge` finds of one structure."""

    duplicate_of: object  # label of the earlier structure it matches; None where it is unique
    novel: bool  # unique and matching no known structure
    novel_framework: bool  # unique and its framework matching no known structure's
    reduced: Reduced
    known: object = None  # unique: label of the known structure it matches (None where novel)

    @property
    def unique(self) -> bool:
        return self.duplicate_of is None


class Matcher:
    """Uniqueness, novelty and novel frameworks with StructureMatcher (defaults).

    ``known``: the reference structures (e.g. the training data), labelled by their position.
    :meth:`unique` catalogues each new structure it is shown; :meth:`novel` and
    :meth:`novel_framework` compare with the known ones only. :meth:`fresh` is a matcher with
    the same known structures (prepared once) and nothing seen.

    A framework is a structure with every site one species (:func:`framework`), reduced as such
    (an exact ordered substitution of a known structure's sites reduces to that structure's
    framework); it is known where it matches a known structure's framework, and where the
    structure matches a known one (whose framework it then has: so a novel framework is novel).
    Frameworks are compared in their own primitive cells, without supercells: where a distortion
    beyond the primitive search's tolerance (0.25 A) keeps one of two from reducing as far as
    the other, they do not match (a distorted superstructure of a known framework is then a
    novel framework where it is novel). Matching with supercells would catch these, at about
    twice the filter's matching time.
    """

    def __init__(self, known: Iterable[Structure | Reduced] = ()):
        self.seen = Catalogue()
        self.known = Catalogue()
        self._known: list[tuple[object, Reduced]] = []
        self._frameworks: Catalogue | None = None
        self._origin: Matcher | None = None  # the matcher this one is fresh() of
        for label, s in enumerate(known):
            self.know(s, label)

    def know(self, s: Structure | Reduced, label) -> None:
        """Add ``s`` to the known structures under ``label``."""
        if self._origin is not None:
            raise ValueError("a fresh() matcher shares its known structures: add them to the one it came from")
        s = self.known.add(s, label)
        self._known.append((label, s))
        if self._frameworks is not None:
            self._frameworks.add(s.framework, label)

    @property
    def frameworks(self) -> Catalogue:
        """The frameworks of the known structures (reduced when first asked for)."""
        if self._origin is not None:
            return self._origin.frameworks
        if self._frameworks is None:
            self._frameworks = Catalogue()
            for label, s in self._known:
                self._frameworks.add(s.framework, label)
        return self._frameworks

    def fresh(self) -> Matcher:
        """A matcher that knows what this one knows (the same catalogues) and has seen nothing."""
        out = Matcher()
        out.known, out._known, out._origin = self.known, self._known, self._origin or self
        return out

    def unique(self, s: Structure | Reduced, label):
        """Label of an earlier seen structure that ``s`` matches, or None: then ``s`` is seen
        from now on under ``label``."""
        s = as_reduced(s)
        twin = self.seen.find(s)
        if twin is None:
            self.seen.add(s, label)
        return twin

    def match(self, s: Structure | Reduced):
        """Label of a known structure that ``s`` matches, or None."""
        return self.known.find(as_reduced(s))

    def novel(self, s: Structure | Reduced) -> bool:
        """Whether ``s`` matches no known structure."""
        return self.match(s) is None

    def known_framework(self, s: Structure | Reduced):
        """Label of a known structure whose framework matches that of ``s``, or None."""
        return self.frameworks.find(as_reduced(s).framework)

    def novel_framework(self, s: Structure | Reduced) -> bool:
        """Whether ``s`` is :meth:`novel` and its framework matches no known structure's."""
        s = as_reduced(s)
        return self.novel(s) and self.known_framework(s) is None

    def judge(self, s: Structure | Reduced, label) -> Verdict:
        """:meth:`unique` of ``s`` (seen under ``label`` where it is), and where it is unique,
        :meth:`novel` and :meth:`novel_framework`."""
        s = as_reduced(s)
        twin = self.unique(s, label)
        if twin is not None:
            return Verdict(twin, False, False, s)
        known = self.match(s)
        novel = known is None
        return Verdict(None, novel, novel and self.known_framework(s) is None, s, known)


def mark_novelty(
    df: pd.DataFrame, x, counts, metal_a: str, metal_b: str, training: list[Structure], processes: int = 1
) -> None:
    """Fill unique, duplicate_of, unseen, unseen_framework and spacegroup for the valid rows of ``df``
    (the Matcher's novel and novel_framework against the training structures, before relaxation).

    A valid candidate is unique when the :class:`Matcher` matches it to no earlier unique one;
    ``duplicate_of`` names the earlier unique candidate it matches. Unique candidates are
    novel when they match no training structure and novel_framework when their framework
    matches no training structure's; their space group is recorded. StructureMatcher only
    matches equal reduced formulas, so each formula's candidates are an independent task, run in
    ``processes`` worker processes (largest first) that share the training structures prepared
    once; the table does not depend on their number.
    """
    groups: dict = {}
    for k in np.nonzero(df["valid"].to_numpy())[0]:
        n = counts[k]
        groups.setdefault(tuple(n // np.gcd.reduce(n)), []).append(int(k))
    tasks = [(x[ks], counts[ks], ks, metal_a, metal_b) for ks in sorted(groups.values(), key=len, reverse=True)]
    if not tasks:
        return
    t0 = time.perf_counter()
    references = Matcher(training)
    log.info("structure matching: %d training structures prepared (%.1f s)", len(training), time.perf_counter() - t0)
    if processes > 1 and len(tasks) > 1:
        import multiprocessing

        context = multiprocessing.get_context("fork")  # the workers inherit the references, unpickled
        with context.Pool(min(processes, len(tasks)), initializer=_share, initargs=(references,)) as pool:
            rows = [r for group in _logged(pool.imap_unordered(_match_shared, tasks), len(tasks), t0) for r in group]
    else:
        rows = [r for group in _logged((_match_group(t, references) for t in tasks), len(tasks), t0) for r in group]
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


_shared: dict = {}  # in a worker process: the Matcher of the training structures


def _share(references: Matcher) -> None:
    _shared["references"] = references


def _match_shared(task) -> list[tuple[int, list]]:
    return _match_group(task, _shared["references"])


def _match_group(task, references: Matcher) -> list[tuple[int, list]]:
    """:func:`mark_novelty` of the valid candidates of one reduced formula, in order: per
    candidate its label and the values of MATCH_COLUMNS."""
    x, counts, labels, metal_a, metal_b = task
    matcher = references.fresh()
    rows = []
    for i, label in enumerate(labels):
        verdict = matcher.judge(decode_structure(x[i], counts[i], metal_a, metal_b), label)
        if not verdict.unique:
            rows.append((label, [False, verdict.duplicate_of, False, False, ""]))
        else:
            s = verdict.reduced.structure
            rows.append((label, [True, -1, verdict.novel, verdict.novel_framework, spacegroup(s)]))
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
    """Structures (each :class:`Reduced` once), searched for one that ``matcher.fit`` matches
    (``matcher``: StructureMatcher with its defaults unless given).

    ``fit`` needs equal comparator hashes (the reduced formula; none with ``species=False``)
    and, without supercells, equal numbers of sites: structures are bucketed by both. Within a
    bucket they are tried nearest :func:`fingerprint` first, the often-matched ones slightly
    ahead, so that a duplicate is usually found within a few tries (same answer in any order),
    or in the order a caller prefers. Each try is :meth:`proven`, and ``fit`` where that cannot
    decide.
    """

    POPULARITY = 0.01  # fingerprint distance traded for each e-fold of earlier matches

    def __init__(self, matcher: StructureMatcher | None = None, species: bool = True):
        self.matcher, self.species = matcher or StructureMatcher(), species
        self.buckets: dict = {}  # key -> {"entries", "labels", "prints", "matches"}

    def key(self, s: Structure) -> tuple:
        return (s.composition.reduced_formula if self.species else "", len(s))

    def add(self, s: Structure | Reduced, label) -> Reduced:
        """Catalogue ``s`` under ``label``; return it reduced."""
        s = as_reduced(s)
        bucket = self.buckets.setdefault(
            self.key(s.structure), {"entries": [], "labels": [], "prints": None, "matches": []}
        )
        bucket["entries"].append(s)
        bucket["labels"].append(label)
        bucket["prints"] = None  # stacked again at the next find
        bucket["matches"].append(0)
        return s

    def find(self, s: Structure | Reduced, prefer: Callable | None = None, first: bool = False):
        """Label of a catalogued structure matching ``s``, or None: the first that matches in
        the order of ``prefer(label)`` where given (the most preferred match). A catalogued
        ``t`` matches where ``fit(t, s)`` holds, or with ``first``, ``fit(s, t)`` (``fit`` is not
        symmetric at the edges of its tolerances)."""
        s = as_reduced(s)
        bucket = self.buckets.get(self.key(s.structure))
        if not bucket:
            return None
        if prefer is not None:
            order = sorted(range(len(bucket["labels"])), key=lambda i: prefer(bucket["labels"][i]))
        else:
            if bucket["prints"] is None:
                bucket["prints"] = np.array([e.print for e in bucket["entries"]])
            distance = np.abs(bucket["prints"] - s.print).mean(axis=1)
            distance -= self.POPULARITY * np.log1p(bucket["matches"])
            order = np.argsort(distance, kind="stable")
        for i in order:
            one, two = (s, bucket["entries"][i]) if first else (bucket["entries"][i], s)
            species = (one.numbers, two.numbers) if self.species else None
            verdict = self.proven(one.structure, two.structure, one.cell, two.shape, species)
            if verdict is None:
                verdict = self.matcher.fit(one.structure, two.structure, skip_structure_reduction=True)
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
    cart = np.ascontiguousarray(s.cart_coords, dtype=float)  # e.g. read from a .mat file: Fortran order
    matrix = np.ascontiguousarray(s.lattice.matrix, dtype=float)
    centre, _, _, dist = find_points_in_spheres(cart, cart, reach * unit, PBC, matrix, tol=1e-8)
    keep = dist > 1e-8
    centre, dist = centre[keep], dist[keep] / unit
    order = np.lexsort((dist, centre))
    centre, dist = centre[order], dist[order]
    rank = np.arange(len(centre)) - np.searchsorted(centre, centre)
    out = np.full((len(s), k), reach)
    near = rank < k
    out[centre[near], rank[near]] = dist[near]
    return out[np.lexsort(out.T[::-1])].ravel()
