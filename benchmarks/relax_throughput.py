"""Relaxation throughput of the universal potential, as the relax stage runs it.

    python benchmarks/relax_throughput.py                 # this machine's best device
    python benchmarks/relax_throughput.py --device cpu --threads 1
    python benchmarks/relax_throughput.py --device cuda --against cpu   # GPU against CPU, one run

relaxes ``--n`` shaken ternaries (shipped Pd-H prototypes, one Pd made Ni, each site moved by
0.1 A) with the relax stage's settings, one after the other as a relax job does, and prints
structures per second, CPU seconds per structure, optimizer steps and seconds per step, and
how far the energies of two relaxations of the same structure differ. With ``--against``, the
same structures are relaxed on that device too, and the speed ratio and the largest energy
difference between the two devices are printed.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from pymatgen.core import Structure
from run import shipped_ternaries  # benchmarks/run.py, beside this script

from crystalgan.physics.potentials import DEVICES, Relaxer, device
from crystalgan.settings import Relax


def ternaries(n: int, seed: int = 0) -> list[Structure]:
    """``n`` of the shipped ternaries (:func:`run.shipped_ternaries`), every site moved by 0.1 A."""
    rng = np.random.default_rng(seed)
    base = shipped_ternaries()
    out = []
    for k in range(n):
        s = base[k % len(base)]
        out.append(
            Structure(s.lattice, s.species, s.cart_coords + rng.normal(0, 0.1, (len(s), 3)), coords_are_cartesian=True)
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=24, help="structures to relax (default %(default)s)")
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default %(default)s)")
    p.add_argument("--against", choices=DEVICES[1:], help="relax the same structures on this device too")
    args = p.parse_args()
    import torch

    settings = Relax.of(device=device(args.device))
    name, where = settings.potential, settings.device
    warnings.filterwarnings("ignore")
    structures = ternaries(args.n)
    relaxer = Relaxer(settings, args.threads)
    results, wall = timed_relaxations(relaxer, structures)
    gpu = torch.cuda.get_device_name(0) if "cuda" in (where, args.against) else "none"
    print(f"# {name} relaxation on {where} (GPU: {gpu}), torch {torch.__version__}, {args.threads} CPU thread(s)")
    print(
        f"{len(results)} structures ({np.mean([len(s) for s in structures]):.1f} atoms on average), "
        f"{sum(r.converged for r in results)} converged, {settings.optimizer}, fmax {settings.fmax}"
    )
    report(where, results, wall)
    again = relaxer.relax(structures[0])
    delta = abs(again.energy_per_atom - results[0].energy_per_atom) * 1e3
    print(f"the same relaxation twice: energies {delta:.3f} meV/atom apart")
    if args.against:
        other, other_wall = timed_relaxations(Relaxer(settings.replace(device=args.against), args.threads), structures)
        report(args.against, other, other_wall)
        print(f"{where} is {other_wall / wall:.2f}x as fast as {args.against}")
        gap = 1e3 * np.abs([r.energy_per_atom - o.energy_per_atom for r, o in zip(results, other)])
        steps = np.array([[r.steps, o.steps] for r, o in zip(results, other)])
        print(
            f"{where} against {args.against}: energies at most {np.nanmax(gap):.3f} "
            f"meV/atom apart (median {np.nanmedian(gap):.3f}), "
            f"same step count for {int((steps[:, 0] == steps[:, 1]).sum())} of {len(steps)}"
        )


def timed_relaxations(relaxer, structures: list[Structure]) -> tuple[list, float]:
    """Relaxations of ``structures`` by ``relaxer`` after one warm-up (lazy initialisation,
    CUDA kernels), and their wall seconds."""
    Relaxer(relaxer.settings.replace(steps=5), calc=relaxer.calc).relax(structures[0])
    wall0 = time.perf_counter()
    results = [relaxer.relax(s) for s in structures]
    return results, time.perf_counter() - wall0


def report(device: str, results: list, wall: float) -> None:
    cpu, steps = sum(r.cpu_s for r in results), sum(r.steps for r in results)
    print(
        f"{device}: {len(results) / wall:.2f} structures/s; {cpu / len(results):.2f} CPU-s and "
        f"{wall / len(results):.2f} s wall per structure; {steps / len(results):.0f} steps per structure, "
        f"{1e3 * wall / steps:.0f} ms per step"
    )


if __name__ == "__main__":
    main()
