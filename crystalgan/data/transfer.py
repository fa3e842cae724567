"""Feature transfer: stage-1 outputs -> the ternary stage-2 training sets AHB_g and BHA_g.

AHB_g[i] keeps lattice, H and metal sites of A-H structure i and fills the B slot with the
B atoms generated on the B side (``y_BHAB1``) for its partner, mapped into its cell by
fractional coordinates. BHA_g is the mirror image. ``stack`` mode (the paper's) keeps all
A atoms and adds all B atoms, which puts them almost on the same sites; ``split`` mode
(default) gives every other metal site to the other metal, placed at the nearest generated
position, and doubles one-metal cells first so that both metals fit.

With ``ternaries``, types of the ternary library (:mod:`crystalgan.data.ternary_types`)
decorated with the system's metals come first in both sets: role A given to metal A in AHB_g,
to metal B in BHA_g. The stage-2 generators keep the atom counts of their input, so these are
the only way for them to reach the library's compositions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crystalgan.core.artifacts import (
    A_SLOT,
    B_SLOT,
    H_SLOT,
    LATTICE_SLOT,
    MAX_ATOMS,
    read_json,
    read_structures,
    write_json,
    write_structures,
)
from crystalgan.core.structures import encode_structure
from crystalgan.data.ternary_types import select
from crystalgan.errors import InputError

log = logging.getLogger(__name__)

SNAP = 1.0  # A: a generated position this close to a site replaces it
MODES = ("split", "stack")

Domain = tuple[Path, Path]  # tensors [N, 4, 18, 3] and counts [N, 3] of encoded structures


def transfer(
    meta: Path,
    ah: Domain,
    bh: Domain,
    rec_a: Domain,
    rec_b: Domain,
    out: Path,
    mode: str,
    ternaries: Sequence[str] | str = (),
) -> dict:
    """Write ``out/{AHB_g,BHA_g}.npy`` (+ counts) and ``counts.json``; return the counts.

    ``ah``, ``bh`` are the encoded binaries (partners from ``meta``), ``rec_a`` and ``rec_b``
    stage 1's cycle outputs x_AHBA1 and y_BHAB1; ``ternaries`` the names of library types
    (or "all") decorated with the two metals and put first in both sets.
    """
    if mode not in MODES:
        raise InputError(f"unknown transfer mode {mode!r} (one of {', '.join(MODES)})")
    meta = read_json(meta)
    xa, ca = read_structures(*ah)
    xb, cb = read_structures(*bh)
    rec_a, _ = read_structures(*rec_a)
    rec_b, _ = read_structures(*rec_b)
    types = select(ternaries) if ternaries else []
    a, b = meta["A"], meta["B"]
    summary = {"mode": mode, "ternaries": [t.name for t in types]}
    sides = (
        ("AHB_g", xa, ca, A_SLOT, rec_b, cb, B_SLOT, meta["partner"]["AH"], (a, b)),
        ("BHA_g", xb, cb, B_SLOT, rec_a, ca, A_SLOT, meta["partner"]["BH"], (b, a)),
    )
    for name, host, hc, host_slot, donor, dc, guest_slot, partner, roles in sides:
        library = [encode_structure(t.structure(*roles), a, b) for t in types]
        xs, cs, skipped = [x for x, _ in library], [c for _, c in library], 0
        for i, j in enumerate(partner):
            made = fill(host[i], hc[i], host_slot, donor[j], dc[j], guest_slot, mode)
            if made is None:
                skipped += 1
                continue
            xs.append(made[0])
            cs.append(made[1])
        write_structures(np.asarray(xs, np.float32), np.asarray(cs, np.int32), Path(out) / f"{name}.npy")
        summary[name] = {"structures": len(xs), "skipped": skipped, "library": len(library)}
        log.info(
            "%s: %d ternary training structures (%d of the ternary library; %d skipped: too many atoms to fit)",
            name,
            len(xs),
            len(library),
            skipped,
        )
    write_json(summary, Path(out) / "counts.json")
    return summary


def fill(host, hc, host_slot, donor, dc, guest_slot, mode):
    """One ternary structure (tensor, counts) or None when the atoms do not fit 18 per species."""
    lattice = host[LATTICE_SLOT, :3].astype(np.float64)
    n_h, n_metal = int(hc[H_SLOT - 1]), int(hc[host_slot - 1])
    h = host[H_SLOT, :n_h].astype(np.float64)
    metal = host[host_slot, :n_metal].astype(np.float64)
    n_donor = int(dc[guest_slot - 1])
    donor_frac = donor[guest_slot, :n_donor] @ np.linalg.inv(donor[LATTICE_SLOT, :3].astype(np.float64))
    guest_all = (donor_frac % 1.0) @ lattice
    if mode == "stack":
        keep, guest = metal, guest_all
    else:
        if n_metal == 1:
            copy = shortest_vector(lattice)  # the doubled cell holds a copy of every atom shifted by it
            lattice, h, metal = double_cell(lattice, h, metal)
            guest_all = np.vstack([guest_all, guest_all + copy])
        keep, sites = metal[0::2], metal[1::2]
        guest = np.array([nearest_or_self(site, guest_all, lattice) for site in sites]).reshape(-1, 3)
    if max(len(h), len(keep), len(guest)) > MAX_ATOMS or len(guest) == 0:
        return None
    x = np.zeros_like(host)
    counts = np.zeros(3, np.int32)
    x[LATTICE_SLOT, :3] = lattice
    for slot, atoms in ((H_SLOT, h), (host_slot, keep), (guest_slot, guest)):
        x[slot, : len(atoms)] = atoms
        counts[slot - 1] = len(atoms)
    return x, counts


def shortest_vector(lattice) -> np.ndarray:
    """The shortest of the three lattice vectors (the first of equals)."""
    return lattice[int(np.argmin(np.linalg.norm(lattice, axis=1)))]


def double_cell(lattice, h, metal):
    """Double the cell along its shortest lattice vector."""
    t = shortest_vector(lattice)
    k = int(np.argmin(np.linalg.norm(lattice, axis=1)))
    lattice = lattice.copy()
    lattice[k] = 2 * t
    return lattice, np.vstack([h, h + t]), np.vstack([metal, metal + t])


def nearest_or_self(site, candidates, lattice):
    """The candidate position nearest to ``site`` (periodic) if within SNAP A, else the site."""
    if len(candidates) == 0:
        return site
    inv = np.linalg.inv(lattice)
    frac = (candidates - site) @ inv
    frac -= np.round(frac)
    delta = frac @ lattice
    dist = np.linalg.norm(delta, axis=1)
    k = int(np.argmin(dist))
    return site + delta[k] if dist[k] <= SNAP else site
