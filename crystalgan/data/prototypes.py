"""Prototype library of binary hydrides M_xH_y: the shipped default data, and the data of a
system that names its metals without folders.

Each prototype is a metal sublattice (fcc, hcp, bcc, simple cubic, rutile, AlB2) with H on
octahedral and/or tetrahedral interstitial sites at a given filling. The cell is scaled
isotropically so that its volume is the metal's atomic volume per metal atom plus
2.9 A^3 per H atom (Peisl; Fukai, "The Metal-Hydrogen System"). That geometry is
approximate; :func:`crystalgan.physics.hull.relaxed_library` relaxes each prototype (cell
and positions) with the universal potential within its space group, so that a prototype stays
the structure type it names, and leaves out the ones whose relaxation fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Element, Lattice, Structure

from crystalgan.errors import InputError

log = logging.getLogger(__name__)

H_VOLUME = 2.9  # A^3 per interstitial H atom
AVOGADRO = 6.02214076e23

SQ3 = np.sqrt(3.0)
CUBIC = np.eye(3)
HEX = np.array([[1.0, 0.0, 0.0], [-0.5, SQ3 / 2, 0.0], [0.0, 0.0, np.sqrt(8 / 3)]])

FCC = [(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)]
FCC_OCT = [(0.5, 0.5, 0.5), (0.5, 0, 0), (0, 0.5, 0), (0, 0, 0.5)]
FCC_TET_A = [(0.25, 0.25, 0.25), (0.75, 0.75, 0.25), (0.75, 0.25, 0.75), (0.25, 0.75, 0.75)]
FCC_TET_B = [(0.75, 0.75, 0.75), (0.25, 0.25, 0.75), (0.25, 0.75, 0.25), (0.75, 0.25, 0.25)]
HCP = [(1 / 3, 2 / 3, 0.25), (2 / 3, 1 / 3, 0.75)]
HCP_OCT = [(0, 0, 0), (0, 0, 0.5)]
HCP_TET = [(1 / 3, 2 / 3, 0.625), (2 / 3, 1 / 3, 0.125), (1 / 3, 2 / 3, 0.875), (2 / 3, 1 / 3, 0.375)]
BCC = [(0, 0, 0), (0.5, 0.5, 0.5)]
BCC_OCT = [(0, 0, 0.5), (0.5, 0.5, 0), (0.5, 0, 0), (0, 0.5, 0.5), (0, 0.5, 0), (0.5, 0, 0.5)]
BCC_TET = sorted({p for v in (0.25, 0.75) for p in permutations((0.0, 0.5, v))})


@dataclass(frozen=True)
class Prototype:
    """A binary hydride prototype: cell shape (unit scale), fractional metal and H sites."""

    name: str
    shape: np.ndarray
    metal: tuple
    hydrogen: tuple

    def structure(self, metal: str) -> Structure:
        """The prototype for ``metal``, scaled to the metal's volume plus 2.9 A^3 per H."""
        species = [metal] * len(self.metal) + ["H"] * len(self.hydrogen)
        s = Structure(Lattice(self.shape), species, list(self.metal) + list(self.hydrogen))
        s.scale_lattice(hydride_volume(s.composition))
        return s


def hydride_volume(composition: Composition) -> float:
    """Cell volume in A^3 of a hydride of ``composition``: each metal atom's atomic volume plus
    H_VOLUME per H atom."""
    return sum(n * (H_VOLUME if el.symbol == "H" else atomic_volume(el.symbol)) for el, n in composition.items())


def atomic_volume(metal: str) -> float:
    """Volume per atom of the elemental metal in A^3, from its molar volume."""
    molar = Element(metal).molar_volume  # cm^3 / mol
    if molar is None:
        raise InputError(f"no molar volume known for element {metal!r}")
    return float(molar) * 1e24 / AVOGADRO


def _supercell(sites, axis: int, n: int = 2):
    """Fractional sites repeated n times along ``axis`` (coordinates rescaled)."""
    out = []
    for k in range(n):
        for s in sites:
            p = list(s)
            p[axis] = (p[axis] + k) / n
            out.append(tuple(p))
    return out


def _stretch(shape: np.ndarray, axis: int, factor: float) -> np.ndarray:
    shape = shape.copy()
    shape[axis] *= factor
    return shape


def _rutile_h(x: float = 0.306):
    return [(x, x, 0), (1 - x, 1 - x, 0), (0.5 + x, 0.5 - x, 0.5), (0.5 - x, 0.5 + x, 0.5)]


PROTOTYPES: tuple[Prototype, ...] = (
    # fcc metal, octahedral fillings
    Prototype("fcc_M4H1_oct", CUBIC, FCC, FCC_OCT[:1]),
    Prototype("fcc_M4H2_oct", CUBIC, FCC, FCC_OCT[:2]),
    Prototype("fcc_M4H3_oct", CUBIC, FCC, FCC_OCT[:3]),
    Prototype("rocksalt_MH", CUBIC, FCC, FCC_OCT),
    # fcc metal, tetrahedral fillings
    Prototype("zincblende_MH", CUBIC, FCC, FCC_TET_A),
    Prototype("fcc_M4H2_tet", CUBIC, FCC, [FCC_TET_A[0], FCC_TET_B[0]]),
    Prototype("fluorite_MH2", CUBIC, FCC, FCC_TET_A + FCC_TET_B),
    Prototype("BiF3_MH3", CUBIC, FCC, FCC_OCT + FCC_TET_A + FCC_TET_B),
    Prototype("fcc_M4H6_mixed", CUBIC, FCC, FCC_OCT[:2] + FCC_TET_A),
    Prototype("fcc_M4H5_mixed", CUBIC, FCC, FCC_OCT + FCC_TET_A[:1]),
    # fcc tetragonal distortions and 1x1x2 orderings
    Prototype("fcc_M4H1_tet", CUBIC, FCC, FCC_TET_A[:1]),
    Prototype("fluorite_MH2_c0.75", _stretch(CUBIC, 2, 0.75), FCC, FCC_TET_A + FCC_TET_B),
    Prototype("fcc_M8H4_layered", _stretch(CUBIC, 2, 2), _supercell(FCC, 2), _supercell(FCC_OCT, 2)[:4]),
    Prototype("fcc_M8H6_oct", _stretch(CUBIC, 2, 2), _supercell(FCC, 2), _supercell(FCC_OCT, 2)[:6]),
    Prototype(
        "fcc_M8H12", _stretch(CUBIC, 2, 2), _supercell(FCC, 2), _supercell(FCC_OCT, 2) + _supercell(FCC_TET_A, 2)[:4]
    ),
    # hcp metal
    Prototype("hcp_M2H1_oct", HEX, HCP, HCP_OCT[:1]),
    Prototype("NiAs_MH", HEX, HCP, HCP_OCT),
    Prototype("wurtzite_MH", HEX, HCP, HCP_TET[:2]),
    Prototype("hcp_MH2_tet", HEX, HCP, HCP_TET),
    Prototype("hcp_M2H3_mixed", HEX, HCP, HCP_OCT + HCP_TET[:1]),
    Prototype("hcp_MH3", HEX, HCP, HCP_OCT + HCP_TET),
    Prototype("hcp_M4H2_ordered", _stretch(HEX, 2, 2), _supercell(HCP, 2), _supercell(HCP_OCT, 2)[:2]),
    Prototype("hcp_M4H5", _stretch(HEX, 2, 2), _supercell(HCP, 2), _supercell(HCP_OCT, 2) + _supercell(HCP_TET, 2)[:1]),
    # bcc metal
    Prototype("bcc_M2H1_oct", CUBIC, BCC, BCC_OCT[:1]),
    Prototype("bcc_MH_oct", CUBIC, BCC, BCC_OCT[:2]),
    Prototype("bcc_MH3_oct", CUBIC, BCC, BCC_OCT),
    Prototype("bcc_MH_tet", CUBIC, BCC, [BCC_TET[0], BCC_TET[11]]),
    Prototype("bcc_MH2_tet", CUBIC, BCC, BCC_TET[::3]),
    Prototype("bcc_M4H1", _stretch(CUBIC, 0, 2), _supercell(BCC, 0), BCC_OCT[:1]),
    # simple cubic metal
    Prototype("CsCl_MH", CUBIC, [(0, 0, 0)], [(0.5, 0.5, 0.5)]),
    Prototype("ReO3_MH3", CUBIC, [(0, 0, 0)], [(0.5, 0, 0), (0, 0.5, 0), (0, 0, 0.5)]),
    Prototype("Cu3N_M3H", CUBIC, [(0.5, 0, 0), (0, 0.5, 0), (0, 0, 0.5)], [(0, 0, 0)]),
    Prototype("sc_MH_face", CUBIC, [(0, 0, 0)], [(0.5, 0.5, 0)]),
    # other frameworks
    Prototype("rutile_MH2", _stretch(CUBIC, 2, 0.67), BCC, _rutile_h()),
    Prototype(
        "AlB2_MH2", _stretch(HEX, 2, 1.1 / np.sqrt(8 / 3)), [(0, 0, 0)], [(1 / 3, 2 / 3, 0.5), (2 / 3, 1 / 3, 0.5)]
    ),
)


def build_library(metal: str) -> list[tuple[str, Structure]]:
    """All prototypes for ``metal``, in the library's fixed order."""
    return [(p.name, p.structure(metal)) for p in PROTOTYPES]


def unrelaxed(metal: str) -> list[tuple[str, Structure, str]]:
    """(name, structure, note) of every prototype for ``metal`` as built, for :func:`write_library`."""
    return [(name, s, "not relaxed") for name, s in build_library(metal)]


def write_library(out: Path, library: list[tuple[str, Structure, str]]) -> list[Path]:
    """Write ``<out>/NN_<prototype>.vasp`` for every (name, structure, note) of ``library``
    (:func:`unrelaxed`, or relaxed by :func:`crystalgan.physics.hull.relaxed_library`);
    returns the paths. NN is the prototype's index in the library, so that the folders of two
    metals stay aligned."""
    from pymatgen.io.vasp import Poscar  # pymatgen.io.vasp takes 0.8 s to import: only where it writes

    index = {p.name: i for i, p in enumerate(PROTOTYPES)}
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, s, note in library:
        i = index[name]
        path = out / f"{i:02d}_{name}.vasp"
        comment = f"{s.composition.reduced_formula} prototype {i:02d} {name} (crystalgan prototypes, {note})"
        Poscar(s, comment=comment).write_file(path)
        paths.append(path)
    return paths
