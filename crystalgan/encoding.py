"""Tensor encoding of structures: ``[4, 18, 3]`` float32 plus atom counts ``(n_H, n_A, n_B)``.

Slot 0 holds the three lattice vectors (rows 0-2), slot 1 the Cartesian coordinates of
the H atoms, slot 2 those of metal A, slot 3 those of metal B, zero padded. The counts,
not zeros, tell atoms from padding: an atom at the origin is a real atom.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from pymatgen.core import Lattice, Structure

from crystalgan.artifacts import (
    CURATED,
    ENCODED_LONG,
    MAX_ATOMS,
    N_SLOTS,
    PAIRS,
    SLOT_NAMES,
    read_table,
    write_json,
    write_structures,
    write_table,
)


def encode_structure(s: Structure, metal_a: str, metal_b: str) -> tuple[np.ndarray, np.ndarray]:
    """One structure -> (tensor ``[4, 18, 3]``, counts ``[3]``)."""
    x = np.zeros((N_SLOTS, MAX_ATOMS, 3), np.float32)
    x[0, :3] = s.lattice.matrix
    species = np.array([site.specie.symbol for site in s])
    counts = np.zeros(3, np.int32)
    for slot, element in enumerate(("H", metal_a, metal_b), start=1):
        coords = s.cart_coords[species == element]
        if len(coords) > MAX_ATOMS:
            raise ValueError(f"{len(coords)} {element} atoms, more than {MAX_ATOMS}")
        x[slot, : len(coords)] = coords
        counts[slot - 1] = len(coords)
    if counts.sum() != len(s):
        other = sorted(set(species) - {"H", metal_a, metal_b})
        raise ValueError(f"structure holds elements {other} outside H, {metal_a}, {metal_b}")
    return x, counts


def decode_structure(x: np.ndarray, counts: np.ndarray, metal_a: str, metal_b: str) -> Structure:
    """Tensor ``[4, 18, 3]`` and counts -> pymatgen Structure (H, then A, then B atoms)."""
    species, coords = [], []
    for slot, element in enumerate(("H", metal_a, metal_b), start=1):
        n = int(counts[slot - 1])
        species += [element] * n
        coords.append(np.asarray(x[slot, :n], float))
    return Structure(
        Lattice(np.asarray(x[0, :3], float)), species, np.vstack(coords).reshape(-1, 3), coords_are_cartesian=True
    )


def encode_table(df: pd.DataFrame, metal_a: str, metal_b: str) -> tuple[np.ndarray, np.ndarray]:
    """Curated table -> tensors ``[N, 4, 18, 3]`` and counts ``[N, 3]``."""
    from crystalgan.curate import structure_from_row

    xs, cs = [], []
    for _, row in df.iterrows():
        x, c = encode_structure(structure_from_row(row), metal_a, metal_b)
        xs.append(x)
        cs.append(c)
    return np.asarray(xs, np.float32).reshape(-1, N_SLOTS, MAX_ATOMS, 3), np.asarray(cs, np.int32).reshape(-1, 3)


def long_table(x: np.ndarray, counts: np.ndarray, ids: list[str], metal_a: str, metal_b: str) -> pd.DataFrame:
    """The occupied rows of the tensors as a long table (structure id, slot, row, x, y, z)."""
    names = ("lattice", "H", metal_a, metal_b)
    rows = []
    for k, sid in enumerate(ids):
        for slot, n in enumerate((3, *counts[k])):
            for r in range(int(n)):
                rows.append((sid, names[slot], r, *x[k, slot, r]))
    df = pd.DataFrame(rows, columns=ENCODED_LONG.names)
    return df.astype({"row": "int8", "x": "float32", "y": "float32", "z": "float32"})


def encode(curated: Path, out: Path, system: str, metal_a: str, metal_b: str) -> dict:
    """Encode ``curated/{AH,BH}.parquet`` into ``out``; returns the metadata written."""
    curated, out = Path(curated), Path(out)
    pairs = read_table(curated / "pairs.parquet", PAIRS)
    meta = {
        "system": system,
        "A": metal_a,
        "B": metal_b,
        "slots": [SLOT_NAMES[0], "H", metal_a, metal_b],
        "shape": [N_SLOTS, MAX_ATOMS, 3],
        "units": "angstrom, cartesian",
        "ids": {},
        "partner": {},
        "pairing": sorted(set(pairs["method"])),
    }
    for domain in ("AH", "BH"):
        df = read_table(curated / f"{domain}.parquet", CURATED)
        x, counts = encode_table(df, metal_a, metal_b)
        write_structures(x, counts, out / f"{domain}.npy")
        write_table(long_table(x, counts, list(df["id"]), metal_a, metal_b), out / f"{domain}.parquet", ENCODED_LONG)
        side = pairs[pairs["domain"] == domain].sort_values("index")
        meta["ids"][domain] = list(df["id"])
        meta["partner"][domain] = [int(p) for p in side["partner_index"]]
    write_json(meta, out / "meta.json")
    return meta


def poscar_text(x: np.ndarray, counts: np.ndarray, metal_a: str, metal_b: str, comment: str) -> str:
    """VASP POSCAR (Cartesian) of one encoded structure; species with no atoms are left out."""
    present = [(el, int(n), slot) for slot, (el, n) in enumerate(zip(("H", metal_a, metal_b), counts), 1) if n > 0]
    lines = [comment, "1.0"]
    lines += ["  " + " ".join(f"{v:16.10f}" for v in row) for row in x[0, :3]]
    lines.append("  " + " ".join(el for el, _, _ in present))
    lines.append("  " + " ".join(str(n) for _, n, _ in present))
    lines.append("Cartesian")
    for _, n, slot in present:
        lines += ["  " + " ".join(f"{v:16.10f}" for v in row) for row in x[slot, :n]]
    return "\n".join(lines) + "\n"


def poscar_name(k: int) -> str:
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

