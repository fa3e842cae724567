"""Baselines a user would try instead of a generative model, judged by the same filter.

``substitution``: the high-throughput habit. Take a training binary and put the other
metal on some of its metal sites (one-metal cells are doubled first).
``random``: random symmetric crystals from pyxtal with the compositions and cell volumes
of the stage-2 training set.
Both write the same ``candidates.npy`` / ``candidates.json`` / ``poscar/`` as ``generate``.
A baseline function takes the training binaries and ternaries, the number of samples, a
random generator and the metal names; the registry (:mod:`crystalgan.methods`) names it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from crystalgan.core.artifacts import (
    A_SLOT,
    B_SLOT,
    H_SLOT,
    LATTICE_SLOT,
    MAX_ATOMS,
    STRUCTURE_SHAPE,
    read_json,
    read_structures,
)
from crystalgan.core.structures import decode_structure, encode_structure, write_candidates
from crystalgan.data.transfer import double_cell
from crystalgan.errors import InputError
from crystalgan.methods import method as registered

log = logging.getLogger(__name__)

BASELINE_STREAM = 11  # baselines draw from the random stream (seed, BASELINE_STREAM)

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def substitution(binaries, ternaries, samples: int, rng: np.random.Generator, metal_a: str, metal_b: str):
    """``samples`` ternaries: alternately from A-H (some A -> B) and B-H (some B -> A)."""
    (xa, ca), (xb, cb) = binaries
    out_x = np.zeros((samples, *STRUCTURE_SHAPE), np.float32)
    out_c = np.zeros((samples, 3), np.int32)
    for k in range(samples):
        side = k % 2
        x, c, slot, other = (xa, ca, A_SLOT, B_SLOT) if side == 0 else (xb, cb, B_SLOT, A_SLOT)
        i = (k // 2) % len(x)
        lattice, h, metal = x[i, LATTICE_SLOT, :3], x[i, H_SLOT, : c[i, H_SLOT - 1]], x[i, slot, : c[i, slot - 1]]
        if len(metal) == 1 and 2 * len(h) <= MAX_ATOMS:
            lattice, h, metal = double_cell(lattice, h, metal)
        n_swap = int(rng.integers(1, len(metal))) if len(metal) > 1 else 0
        swap = np.zeros(len(metal), bool)
        swap[rng.choice(len(metal), size=n_swap, replace=False)] = True
        out_x[k, LATTICE_SLOT, :3] = lattice
        out_x[k, H_SLOT, : len(h)] = h
        out_x[k, slot, : (~swap).sum()] = metal[~swap]
        out_x[k, other, : swap.sum()] = metal[swap]
        out_c[k] = [len(h), 0, 0]
        out_c[k, slot - 1], out_c[k, other - 1] = (~swap).sum(), swap.sum()
    return out_x, out_c


def random_crystals(binaries, ternaries, samples: int, rng: np.random.Generator, metal_a: str, metal_b: str):
    """``samples`` pyxtal random crystals with the compositions and volumes of the ternaries."""
    from pyxtal import pyxtal

    xs = np.concatenate([x for x, _ in ternaries])
    cs = np.concatenate([c for _, c in ternaries])
    out_x = np.zeros((samples, *STRUCTURE_SHAPE), np.float32)
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
                    crystal.from_random(
                        3, int(rng.integers(1, 231)), species, numbers, random_state=int(rng.integers(2**31))
                    )
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


def baseline(
    method: str,
    meta: Path,
    binaries: tuple[Domain, Domain],
    ternaries: tuple[Domain, Domain],
    out: Path,
    samples: int,
    seed: int,
) -> None:
    """Write ``samples`` candidates of the baseline ``method`` into ``out`` (as ``generate``
    does) from the encoded ``binaries`` (A-H, B-H) and stage-2 ``ternaries`` (AHB_g, BHA_g)."""
    spec = registered(method)
    if spec.model != "baseline":
        raise InputError(f"method {method!r} is not a baseline")
    meta = read_json(meta)
    rng = np.random.default_rng([seed, BASELINE_STREAM])
    make = globals()[spec.baseline]
    binaries = [read_structures(*domain) for domain in binaries]
    ternaries = [read_structures(*domain) for domain in ternaries]
    x, c = make(binaries, ternaries, samples, rng, meta["A"], meta["B"])
    write_candidates(x, c, meta, method, seed, out, model="baseline")
    log.info("%s: %d candidates written to %s", method, samples, out)
