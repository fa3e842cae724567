"""Baselines a user would try instead of a generative model, judged by the same filter.

``substitution``: the high-throughput habit. Take a training binary and put the other
metal on some of its metal sites (one-metal cells are doubled first).
``random``: random symmetric crystals from pyxtal with the compositions and cell volumes
of the stage-2 training set.
Both write the same ``candidates.npy`` / ``candidates.json`` / ``poscar/`` as ``generate``.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from crystalgan.artifacts import MAX_ATOMS, read_json, read_structures, write_json, write_structures
from crystalgan.encoding import decode_structure, encode_structure, write_poscars
from crystalgan.transfer import double_cell

log = logging.getLogger(__name__)

BASELINES = ("substitution", "random")


def substitution(xa, ca, xb, cb, samples: int, rng: np.random.Generator):
    """``samples`` ternaries: alternately from A-H (some A -> B) and B-H (some B -> A)."""
    out_x = np.zeros((samples, 4, MAX_ATOMS, 3), np.float32)
    out_c = np.zeros((samples, 3), np.int32)
    for k in range(samples):
        side = k % 2
        x, c, slot, other = (xa, ca, 2, 3) if side == 0 else (xb, cb, 3, 2)
        i = (k // 2) % len(x)
        lattice, h, metal = x[i, 0, :3], x[i, 1, : c[i, 0]], x[i, slot, : c[i, slot - 1]]
        if len(metal) == 1 and 2 * len(h) <= MAX_ATOMS:
            lattice, h, metal = double_cell(lattice, h, metal)
        n_swap = int(rng.integers(1, len(metal))) if len(metal) > 1 else 0
        swap = np.zeros(len(metal), bool)
        swap[rng.choice(len(metal), size=n_swap, replace=False)] = True
        out_x[k, 0, :3] = lattice
        out_x[k, 1, : len(h)] = h
        out_x[k, slot, : (~swap).sum()] = metal[~swap]
        out_x[k, other, : swap.sum()] = metal[swap]
        out_c[k] = [len(h), 0, 0]
        out_c[k, slot - 1], out_c[k, other - 1] = (~swap).sum(), swap.sum()
    return out_x, out_c


def random_crystals(xs, cs, samples: int, metal_a: str, metal_b: str, rng: np.random.Generator):
    """``samples`` pyxtal random crystals with the compositions and volumes of (xs, cs)."""
    from pyxtal import pyxtal

    out_x = np.zeros((samples, 4, MAX_ATOMS, 3), np.float32)
    out_c = np.zeros((samples, 3), np.int32)
    for k in range(samples):
        i = k % len(xs)
        counts = [int(n) for n in cs[i]]
        target = decode_structure(xs[i], cs[i], metal_a, metal_b).volume
        species = [el for el, n in zip(("H", metal_a, metal_b), counts) if n]
        numbers = [n for n in counts if n]
        structure = None
        for _ in range(20):
            crystal = pyxtal()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    crystal.from_random(3, int(rng.integers(1, 231)), species, numbers, random_state=int(rng.integers(2**31)))
                structure = crystal.to_pymatgen()
            except Exception:  # pyxtal rejects incompatible group/composition pairs
                continue
            if structure.composition.num_atoms == sum(numbers):
                break
            structure = None
        if structure is None:  # P1 always fits any composition
            crystal = pyxtal()
            crystal.from_random(3, 1, species, numbers, random_state=int(rng.integers(2**31)))
            structure = crystal.to_pymatgen()
        structure.scale_lattice(target)
        out_x[k], out_c[k] = encode_structure(structure, metal_a, metal_b)
    return out_x, out_c


def baseline(method: str, encoded: Path, transfer: Path, out: Path, samples: int, seed: int) -> None:
    """Write ``samples`` baseline candidates of ``method`` into ``out`` (as ``generate`` does)."""
    if method not in BASELINES:
        raise ValueError(f"unknown baseline {method!r} (one of {BASELINES})")
    meta = read_json(Path(encoded) / "meta.json")
    rng = np.random.default_rng([seed, 11])
    if method == "substitution":
        (xa, ca), (xb, cb) = (read_structures(Path(encoded) / f"{n}.npy") for n in ("AH", "BH"))
        x, c = substitution(xa, ca, xb, cb, samples, rng)
    else:
        pairs = [read_structures(Path(transfer) / f"{n}.npy") for n in ("AHB_g", "BHA_g")]
        xs = np.concatenate([p[0] for p in pairs])
        cs = np.concatenate([p[1] for p in pairs])
        x, c = random_crystals(xs, cs, samples, meta["A"], meta["B"], rng)
    out = Path(out)
    write_structures(x, c, out / "candidates.npy")
    write_poscars(x, c, meta["A"], meta["B"], out / "poscar", f"{meta['system']} {method} seed{seed}")
    write_json(
        {"system": meta["system"], "A": meta["A"], "B": meta["B"], "method": method, "seed": seed,
         "samples": samples, "model": "baseline"},
        out / "candidates.json",
    )
    log.info("%s: %d candidates written to %s", method, samples, out)
