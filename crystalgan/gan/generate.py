"""Generation: trained generators -> candidate structures (tensors and POSCAR files).

Sample k translates input ``k // 2`` of one domain (k even: A side through G_AB, k odd:
B side through G_BA). The first pass over the inputs is their plain translation; later
passes add seeded Gaussian input noise, so more samples give more distinct structures.
The noise-input GAN samples from seeded Gaussian latents with the training atom counts.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from crystalgan.core.artifacts import ATOM_SLOTS, LATTICE_SLOT, STRUCTURE_SHAPE, read_json, read_structures
from crystalgan.core.structures import write_candidates
from crystalgan.errors import InputError
from crystalgan.evaluation.verdicts import MIN_VOLUME
from crystalgan.gan.networks import row_mask
from crystalgan.gan.train import load_model
from crystalgan.methods import method as registered

log = logging.getLogger(__name__)

BATCH = 4096
NOISE_STREAM = 7  # the input noise is drawn from the random stream (seed, NOISE_STREAM)
INPUT_NAMES = {"encoded": ("AH", "BH"), "transfer": ("AHB_g", "BHA_g")}

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def generate(
    model_json: Path,
    weights: Path,
    inputs: tuple[Domain, Domain],
    *,
    meta: Path,
    out: Path,
    samples: int,
    noise: float,
    seed: int,
    method: str,
    merge: float = 0.0,
) -> None:
    """Write ``out/candidates.npy`` (+ counts), ``out/candidates.json`` and ``out/poscar/*.vasp``
    from the generators of ``method`` (``model_json`` and ``weights``), translating the two
    ``inputs`` domains (the encoded binaries for stage 1, the stage-2 ternaries otherwise),
    ``samples`` of them, with input noise of std ``noise`` (data-scale units) drawn from
    ``seed``; the element names from the encoding's ``meta`` (meta.json); with ``merge`` > 0
    (A), close atoms of one element merged first (:func:`merge_close_atoms`)."""
    import tensorflow as tf

    from crystalgan.gan.train import configure_runtime

    spec = registered(method)
    if spec.model == "baseline":
        raise InputError(f"method {method!r} is a baseline: 'crystalgan baseline' makes its candidates")
    configure_runtime(1, seed)
    info = read_json(meta)
    names = INPUT_NAMES[spec.inputs]
    (xa, ca), (xb, cb) = (read_structures(*domain) for domain in inputs)
    model, saved = load_model(model_json, weights, ca, cb)
    rng = np.random.default_rng([seed, NOISE_STREAM])
    k = np.arange(samples)
    side = k % 2
    index = np.where(side == 0, (k // 2) % len(xa), (k // 2) % len(xb))
    first_pass = np.where(side == 0, k // 2 < len(xa), k // 2 < len(xb))
    out_x = np.zeros((samples, *STRUCTURE_SHAPE), np.float32)
    out_c = np.zeros((samples, 3), np.int32)
    for start in range(0, samples, BATCH):
        sl = slice(start, min(start + BATCH, samples))
        for s, (x, c) in enumerate(((xa, ca), (xb, cb))):
            sel = np.nonzero(side[sl] == s)[0] + start
            if len(sel) == 0:
                continue
            xin, cin = x[index[sel]] / model.scale, c[index[sel]]
            if spec.network == "noise":
                y, cy = model.sample(tf.constant(cin), tf.constant([seed, start * 2 + s], tf.int64))
            else:
                eps = rng.standard_normal(xin.shape).astype(np.float32) * noise
                eps[first_pass[sel]] = 0.0
                xin = xin + eps * row_mask(tf.constant(cin)).numpy()[..., None]
                gen = model.g_ab if s == 0 else model.g_ba
                y, cy = gen(tf.constant(xin), tf.constant(cin))
            out_x[sel] = y.numpy() * model.scale
            out_c[sel] = cy.numpy()
    sources = {"side": [names[s] for s in side], "index": index.tolist()}
    extra = {}
    if merge > 0:
        out_x, out_c, merged = merge_close_atoms(out_x, out_c, (info["A"], info["B"]), merge)
        extra = {"merge": merge, "merged": merged.tolist()}
        log.info("merge within %g A: %d atoms merged away in %d candidates", merge, merged.sum(), (merged > 0).sum())
    write_candidates(out_x, out_c, info, method, seed, out, model=saved["kind"], inputs=sources, **extra)
    log.info("%s: %d candidates written to %s", method, samples, out)


def merge_close_atoms(
    x: np.ndarray, counts: np.ndarray, metals: tuple[str, str], tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates with the atoms of one element closer than ``tol`` (A, periodic) merged into
    one at their mean position: pymatgen's ``merge_sites`` (single-linkage clustering) per
    element. Returns tensors, counts and the number of atoms merged away per candidate;
    candidates with a non-finite or collapsed cell are left as they are."""
    from pymatgen.core import Structure

    x, counts = x.copy(), counts.copy()
    merged = np.zeros(len(x), np.int64)
    for k in range(len(x)):
        lattice = x[k, LATTICE_SLOT, :3]
        if not np.isfinite(x[k]).all() or abs(np.linalg.det(lattice)) < MIN_VOLUME:
            continue
        for j, (slot, element) in enumerate(zip(ATOM_SLOTS, ("H", *metals))):
            n = int(counts[k, j])
            if n < 2:
                continue
            s = Structure(lattice, [element] * n, x[k, slot, :n], coords_are_cartesian=True)
            s.merge_sites(tol, mode="delete")
            x[k, slot] = 0.0
            x[k, slot, : len(s)] = s.cart_coords
            counts[k, j] = len(s)
            merged[k] += n - len(s)
    return x, counts, merged
