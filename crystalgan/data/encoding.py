"""Encoding stage: curated tables -> tensors ``[N, 4, 18, 3]`` float32 plus atom counts
``[N, 3]`` (n_H, n_A, n_B) per domain, a long Parquet view of them and ``meta.json``
(element names, structure ids, partners). The encoding itself is :mod:`crystalgan.core.structures`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crystalgan.core.artifacts import (
    CURATED,
    ENCODED_LONG,
    PAIRS,
    SLOT_NAMES,
    STRUCTURE_SHAPE,
    read_table,
    write_json,
    write_structures,
    write_table,
)
from crystalgan.core.structures import encode_structure, structure_from_row


def encode_table(df: pd.DataFrame, metal_a: str, metal_b: str) -> tuple[np.ndarray, np.ndarray]:
    """Curated table -> tensors ``[N, 4, 18, 3]`` and counts ``[N, 3]``."""
    xs, cs = [], []
    for _, row in df.iterrows():
        x, c = encode_structure(structure_from_row(row), metal_a, metal_b)
        xs.append(x)
        cs.append(c)
    return np.asarray(xs, np.float32).reshape(-1, *STRUCTURE_SHAPE), np.asarray(cs, np.int32).reshape(-1, 3)


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


def encode(ah: Path, bh: Path, pairs: Path, out: Path, system: str, metal_a: str, metal_b: str) -> dict:
    """Encode the curated tables ``ah``, ``bh`` (partners from ``pairs``) into ``out``:
    ``{AH,BH}.npy``, ``{AH,BH}_counts.npy``, ``{AH,BH}.parquet`` and ``meta.json``, which it returns."""
    out = Path(out)
    pairs = read_table(pairs, PAIRS)
    meta = {
        "system": system,
        "A": metal_a,
        "B": metal_b,
        "slots": [SLOT_NAMES[0], "H", metal_a, metal_b],
        "shape": list(STRUCTURE_SHAPE),
        "units": "angstrom, cartesian",
        "ids": {},
        "partner": {},
        "pairing": sorted(set(pairs["method"])),
    }
    for domain, table in (("AH", ah), ("BH", bh)):
        df = read_table(table, CURATED)
        x, counts = encode_table(df, metal_a, metal_b)
        write_structures(x, counts, out / f"{domain}.npy")
        write_table(long_table(x, counts, list(df["id"]), metal_a, metal_b), out / f"{domain}.parquet", ENCODED_LONG)
        side = pairs[pairs["domain"] == domain].sort_values("index")
        meta["ids"][domain] = list(df["id"])
        meta["partner"][domain] = [int(p) for p in side["partner_index"]]
    write_json(meta, out / "meta.json")
    return meta
