"""Structures shared by the stages: the tensor encoding ``[4, 18, 3]`` of one structure and back,
curated-table rows, space groups and POSCAR files (pymatgen; no TensorFlow import).

Slot 0 holds the three lattice vectors (rows 0-2), slot 1 the Cartesian coordinates of the
H atoms, slot 2 those of metal A, slot 3 those of metal B, zero padded. The counts
``(n_H, n_A, n_B)``, not zeros, tell atoms from padding: an atom at the origin is a real atom.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from pymatgen.core import Lattice, Structure

from crystalgan.core.artifacts import (
    ATOM_SLOTS,
    LATTICE_SLOT,
    MAX_ATOMS,
    N_SLOTS,
    atomic_path,
    cpu_seconds,
    write_json,
    write_structures,
)
from crystalgan.errors import InputError

PBC = np.array([1, 1, 1], dtype=np.int64)  # periodic along all three lattice vectors (pymatgen's neighbour search)


def encode_structure(s: Structure, metal_a: str, metal_b: str) -> tuple[np.ndarray, np.ndarray]:
    """One structure -> (tensor ``[4, 18, 3]``, counts ``[3]``)."""
    x = np.zeros((N_SLOTS, MAX_ATOMS, 3), np.float32)
    x[LATTICE_SLOT, :3] = s.lattice.matrix
    species = np.array([site.specie.symbol for site in s])
    counts = np.zeros(3, np.int32)
    for k, (slot, element) in enumerate(zip(ATOM_SLOTS, ("H", metal_a, metal_b))):
        coords = s.cart_coords[species == element]
        if len(coords) > MAX_ATOMS:
            raise InputError(f"{len(coords)} {element} atoms, more than {MAX_ATOMS}")
        x[slot, : len(coords)] = coords
        counts[k] = len(coords)
    if counts.sum() != len(s):
        other = sorted(set(species) - {"H", metal_a, metal_b})
        raise InputError(f"structure holds elements {other} outside H, {metal_a}, {metal_b}")
    return x, counts


def decode_structure(x: np.ndarray, counts: np.ndarray, metal_a: str, metal_b: str) -> Structure:
    """Tensor ``[4, 18, 3]`` and counts -> pymatgen Structure (H, then A, then B atoms)."""
    species, coords = [], []
    for k, (slot, element) in enumerate(zip(ATOM_SLOTS, ("H", metal_a, metal_b))):
        n = int(counts[k])
        species += [element] * n
        coords.append(np.asarray(x[slot, :n], float))
    lattice = Lattice(np.asarray(x[LATTICE_SLOT, :3], float))
    return Structure(lattice, species, np.vstack(coords).reshape(-1, 3), coords_are_cartesian=True)


def structure_from_row(row) -> Structure:
    """Rebuild the pymatgen Structure of one curated-table row."""
    return Structure(
        Lattice(np.asarray(row["lattice"], float).reshape(3, 3)),
        list(row["species"]),
        np.asarray(row["cart_coords"], float).reshape(-1, 3),
        coords_are_cartesian=True,
    )


def spacegroup(s: Structure, symprec: float = 0.1) -> str:
    """International symbol of the space group spglib finds at ``symprec`` ("unknown" where it fails)."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    try:
        return SpacegroupAnalyzer(s, symprec=symprec).get_space_group_symbol()
    except Exception:  # spglib fails on some degenerate cells
        return "unknown"


def same_structure(s: Structure, other: Structure, symprec: float = 0.1) -> bool:
    """Whether ``other`` (e.g. a file read back) is ``s``: the same reduced composition and
    atoms per formula unit, a StructureMatcher match (defaults) and the same space group at ``symprec``."""
    from pymatgen.analysis.structure_matcher import StructureMatcher

    a, b = s.composition, other.composition
    return (
        a.reduced_composition == b.reduced_composition
        and a.get_reduced_composition_and_factor()[0] == b.get_reduced_composition_and_factor()[0]
        and StructureMatcher().fit(s, other)
        and spacegroup(s, symprec) == spacegroup(other, symprec)
    )


def cif_text(s: Structure, symprec: float = 0.1) -> tuple[str, bool]:
    """A CIF of ``s`` and whether it is symmetrized: the one pymatgen's CifWriter writes at
    ``symprec`` where it reads back as ``s`` (:func:`same_structure`), otherwise the P1 one.
    CifWriter can write symmetry operations of a distorted cell that, applied, give another
    crystal (other composition or space group)."""
    import warnings

    from pymatgen.io.cif import CifParser, CifWriter

    text = str(CifWriter(s, symprec=symprec))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            back = CifParser.from_str(text).parse_structures(primitive=False)
        if len(back) == 1 and same_structure(s, back[0], symprec):
            return text, True
    except Exception:  # an unreadable symmetrized CIF: write the P1 one
        pass
    return str(CifWriter(s)), False


def write_structure_files(s: Structure, stem: Path, symprec: float = 0.1) -> tuple[Path, Path]:
    """``stem``.cif (symmetrized where it reads back as ``s``, :func:`cif_text`) and ``stem``.vasp;
    returns their paths."""
    from pymatgen.io.vasp import Poscar

    stem = Path(stem)
    cif, poscar = stem.with_name(stem.name + ".cif"), stem.with_name(stem.name + ".vasp")
    with atomic_path(cif) as tmp:
        tmp.write_text(cif_text(s, symprec)[0])
    with atomic_path(poscar) as tmp:
        tmp.write_text(Poscar(s).get_str())
    return cif, poscar


def poscar_text(x: np.ndarray, counts: np.ndarray, metal_a: str, metal_b: str, comment: str) -> str:
    """VASP POSCAR (Cartesian) of one encoded structure; species with no atoms are left out."""
    present = [(el, int(n), slot) for slot, el, n in zip(ATOM_SLOTS, ("H", metal_a, metal_b), counts) if n > 0]
    lines = [comment, "1.0"]
    lines += ["  " + " ".join(f"{v:16.10f}" for v in row) for row in x[LATTICE_SLOT, :3]]
    lines.append("  " + " ".join(el for el, _, _ in present))
    lines.append("  " + " ".join(str(n) for _, n, _ in present))
    lines.append("Cartesian")
    for _, n, slot in present:
        lines += ["  " + " ".join(f"{v:16.10f}" for v in row) for row in x[slot, :n]]
    return "\n".join(lines) + "\n"


def poscar_name(k: int) -> str:
    """File name of candidate ``k`` in a run's ``poscar/`` folder."""
    return f"cand_{k:06d}.vasp"


def write_poscars(x, counts, metal_a, metal_b, folder: Path, comment: str) -> None:
    """One POSCAR per candidate in ``folder`` (replaced as a whole, atomically)."""
    folder = Path(folder)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for k in range(len(x)):
        (tmp / poscar_name(k)).write_text(poscar_text(x[k], counts[k], metal_a, metal_b, f"{comment} candidate {k}"))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


def write_candidates(x, counts, meta: dict, method: str, seed: int, out: Path, **provenance) -> None:
    """A run's candidates as generate and the baselines write them into ``out``: the tensors
    (``candidates.npy`` and counts), one POSCAR each in ``poscar/`` and ``candidates.json``
    (system, metals, method, seed, number of samples, ``provenance`` and the CPU seconds spent)."""
    out = Path(out)
    write_structures(x, counts, out / "candidates.npy")
    write_poscars(x, counts, meta["A"], meta["B"], out / "poscar", f"{meta['system']} {method} seed{seed}")
    info = {"system": meta["system"], "A": meta["A"], "B": meta["B"], "method": method, "seed": seed}
    write_json({**info, "samples": len(x), **provenance, "cpu_s": cpu_seconds()}, out / "candidates.json")
