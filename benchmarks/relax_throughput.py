"""Relaxation throughput of the universal potential, as the relax stage runs it.

    python benchmarks/relax_throughput.py                 # this machine's best device
    python benchmarks/relax_throughput.py --device cpu --threads 1

relaxes ``--n`` shaken ternaries (shipped Pd-H prototypes, one Pd made Ni, each site moved by
0.1 A) with the relax stage's settings, one after the other as a relax job does, and prints
structures per second, CPU seconds per structure, optimizer steps and seconds per step, and
how far the energies of two relaxations of the same structure differ.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from pymatgen.core import Structure
from run import shipped_ternaries  # benchmarks/run.py, beside this script

from crystalgan.config import defaults
from crystalgan.potentials import POTENTIALS, relax, require


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
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default %(default)s)")
    args = p.parse_args()
    import torch

    relax_options = defaults()["relax"]
    name = relax_options["potential"]
    require(name)
    torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    warnings.filterwarnings("ignore")
    calc = POTENTIALS[name].calculator(device)
    structures = ternaries(args.n)
    relax(structures[0], calc, relax_options["fmax"], 5)  # warm-up (lazy initialisation, CUDA kernels)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    results = [
        relax(s, calc, relax_options["fmax"], relax_options["steps"], optimizer=relax_options["optimizer"])
        for s in structures
    ]
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    steps = sum(r.steps for r in results)
    again = relax(
        structures[0], calc, relax_options["fmax"], relax_options["steps"], optimizer=relax_options["optimizer"]
    )
    gpu = torch.cuda.get_device_name(0) if device == "cuda" else "none"
    print(f"# {name} relaxation on {device} (GPU: {gpu}), torch {torch.__version__}, {args.threads} CPU thread(s)")
    print(
        f"{len(results)} structures ({np.mean([len(s) for s in structures]):.1f} atoms on average), "
        f"{sum(r.converged for r in results)} converged, {relax_options['optimizer']}, fmax {relax_options['fmax']}"
    )
    print(
        f"{len(results) / wall:.2f} structures/s; {cpu / len(results):.2f} CPU-s and {wall / len(results):.2f} s wall "
        f"per structure; {steps / len(results):.0f} steps per structure, {1e3 * wall / steps:.0f} ms per step"
    )
    delta = abs(again.energy_per_atom - results[0].energy_per_atom) * 1e3
    print(f"the same relaxation twice: energies {delta:.3f} meV/atom apart")


if __name__ == "__main__":
    main()
