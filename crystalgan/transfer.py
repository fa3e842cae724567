"""Feature transfer: stage-1 outputs -> the ternary stage-2 training sets AHB_g and BHA_g.

AHB_g[i] keeps lattice, H and metal sites of A-H structure i and fills the B slot with the
B atoms generated on the B side (``y_BHAB1``) for its partner, mapped into its cell by
fractional coordinates. BHA_g is the mirror image. ``stack`` mode (the paper's) keeps all
A atoms and adds all B atoms, which puts them almost on the same sites; ``split`` mode
(default) gives every other metal site to the other metal, placed at the nearest generated
position, and doubles one-metal cells first so that both metals fit.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from crystalgan.artifacts import MAX_ATOMS, read_json, read_structures, write_json, write_structures

log = logging.getLogger(__name__)

SNAP = 1.0  # A: a generated position this close to a site replaces it


def transfer(encoded: Path, stage1: Path, out: Path, mode: str) -> dict:
    """Write ``out/{AHB_g,BHA_g}.npy`` (+ counts) and ``counts.json``; return the counts."""
    meta = read_json(Path(encoded) / "meta.json")
    xa, ca = read_structures(Path(encoded) / "AH.npy")
    xb, cb = read_structures(Path(encoded) / "BH.npy")
    rec_a, _ = read_structures(Path(stage1) / "x_AHBA1.npy")
    rec_b, _ = read_structures(Path(stage1) / "y_BHAB1.npy")
    summary = {"mode": mode}
    sides = (
        ("AHB_g", xa, ca, 2, rec_b, cb, 3, meta["partner"]["AH"]),
        ("BHA_g", xb, cb, 3, rec_a, ca, 2, meta["partner"]["BH"]),
    )
    for name, host, hc, host_slot, donor, dc, guest_slot, partner in sides:
        xs, cs, skipped = [], [], 0
        for i, j in enumerate(partner):
            made = fill(host[i], hc[i], host_slot, donor[j], dc[j], guest_slot, mode)
            if made is None:
                skipped += 1
                continue
            xs.append(made[0])
            cs.append(made[1])
        write_structures(np.asarray(xs, np.float32), np.asarray(cs, np.int32), Path(out) / f"{name}.npy")
        summary[name] = {"structures": len(xs), "skipped": skipped}
        log.info("%s: %d ternary training structures (%d skipped: too many atoms to fit)", name, len(xs), skipped)
    write_json(summary, Path(out) / "counts.json")
    return summary


def fill(host, hc, host_slot, donor, dc, guest_slot, mode):
    """One ternary structure (tensor, counts) or None when the atoms do not fit 18 per species."""
    lattice = host[0, :3].astype(np.float64)
    n_h, n_metal = int(hc[0]), int(hc[host_slot - 1])
    h = host[1, :n_h].astype(np.float64)
    metal = host[host_slot, :n_metal].astype(np.float64)
    n_donor = int(dc[guest_slot - 1])
    donor_frac = donor[guest_slot, :n_donor] @ np.linalg.inv(donor[0, :3].astype(np.float64))
    guest_all = (donor_frac % 1.0) @ lattice
    if mode == "stack":
        keep, guest = metal, guest_all
    else:
        if n_metal == 1:
            lattice, h, metal = double_cell(lattice, h, metal)
            guest_all = np.vstack([guest_all, guest_all + lattice[np.argmin(np.linalg.norm(lattice, axis=1))]])
        keep, sites = metal[0::2], metal[1::2]
        guest = np.array([nearest_or_self(site, guest_all, lattice) for site in sites]).reshape(-1, 3)
    if max(len(h), len(keep), len(guest)) > MAX_ATOMS or len(guest) == 0:
        return None
    x = np.zeros_like(host)
    counts = np.zeros(3, np.int32)
    x[0, :3] = lattice
    for slot, atoms in ((1, h), (host_slot, keep), (guest_slot, guest)):
        x[slot, : len(atoms)] = atoms
        counts[slot - 1] = len(atoms)
    return x, counts


def double_cell(lattice, h, metal):
    """Double the cell along its shortest lattice vector."""
    k = int(np.argmin(np.linalg.norm(lattice, axis=1)))
    t = lattice[k]
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
