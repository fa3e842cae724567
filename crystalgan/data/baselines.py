"""Baselines a user would try instead of a generative model, judged by the same filter.

``substitution``: the high-throughput habit. Take a training binary and put the other
metal on some of its metal sites (one-metal cells are doubled first).
``random``: random symmetric crystals from pyxtal with compositions drawn from
``generate.compositions`` (:mod:`crystalgan.core.compositions`).
``prototype``: known ternary hydride structure types decorated with the two metals, both
orders (:mod:`crystalgan.data.ternary_types`).
All write the same ``candidates.npy`` / ``candidates.json`` / ``poscar/`` as ``generate``.
A baseline function takes the training binaries, the formula units to search, the number of
samples, a random generator and the metal names; the registry (:mod:`crystalgan.methods`)
names it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
from pymatgen.core import Composition

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
from crystalgan.core.compositions import ENUMERATED, FormulaUnit
from crystalgan.core.structures import encode_structure, write_candidates
from crystalgan.data.prototypes import hydride_volume
from crystalgan.data.ternary_types import decorations
from crystalgan.data.transfer import double_cell
from crystalgan.errors import InputError
from crystalgan.methods import method as registered

log = logging.getLogger(__name__)

BASELINE_STREAM = 11  # baselines draw from the random stream (seed, BASELINE_STREAM)

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def substitution(binaries, units, samples: int, rng: np.random.Generator, metal_a: str, metal_b: str):
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


def random_crystals(binaries, units, samples: int, rng: np.random.Generator, metal_a: str, metal_b: str):
    """``samples`` pyxtal random crystals: each of a formula unit drawn from ``units``, 1 to its
    :meth:`~crystalgan.core.compositions.FormulaUnit.max_units` units per cell, the cell scaled
    to the metals' atomic volumes plus H_VOLUME per H (:func:`hydride_volume`)."""
    from pyxtal import pyxtal

    out_x = np.zeros((samples, *STRUCTURE_SHAPE), np.float32)
    out_c = np.zeros((samples, 3), np.int32)
    for k in range(samples):
        unit = units[int(rng.integers(len(units)))]
        species, numbers = ["H", metal_a, metal_b], list(unit.counts(int(rng.integers(1, unit.max_units() + 1))))
        target = hydride_volume(Composition(dict(zip(species, numbers))))
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


def prototype_decorations(binaries, units, samples: int, rng: np.random.Generator, metal_a: str, metal_b: str):
    """Every decoration of the ternary structure types (:func:`decorations`: each type with the
    metals in both orders) once, in the library's order: the first ``samples`` of them, and
    fewer candidates than ``samples`` where the library has fewer (the filter takes any number)."""
    encoded = [encode_structure(s, metal_a, metal_b) for _, s in decorations(metal_a, metal_b)[:samples]]
    return np.stack([x for x, _ in encoded]), np.stack([c for _, c in encoded])


def baseline(
    method: str,
    meta: Path,
    binaries: tuple[Domain, Domain],
    out: Path,
    samples: int,
    seed: int,
    units: tuple[FormulaUnit, ...] = ENUMERATED,
) -> None:
    """Write at most ``samples`` candidates of the baseline ``method`` into ``out`` (as
    ``generate`` does) from the encoded ``binaries`` (A-H, B-H) and the formula units ``units``
    (``generate.compositions``)."""
    spec = registered(method)
    if spec.model != "baseline":
        raise InputError(f"method {method!r} is not a baseline")
    meta = read_json(meta)
    rng = np.random.default_rng([seed, BASELINE_STREAM])
    make = globals()[spec.baseline]
    binaries = [read_structures(*domain) for domain in binaries]
    x, c = make(binaries, units, samples, rng, meta["A"], meta["B"])
    write_candidates(x, c, meta, method, seed, out, model="baseline")
    log.info("%s: %d candidates written to %s", method, len(x), out)
