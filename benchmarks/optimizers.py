"""The ASE optimizers of ``relax.optimizer`` compared on what the workflow relaxes, in one run.

    python benchmarks/optimizers.py                      # LBFGS, BFGS and FIRE, CHGNet on one CPU thread
    python benchmarks/optimizers.py --potential 7net-0

relaxes three sets with each optimizer (cell and positions, the relax stage's fmax and step
limit): the intermetallic references the hull stage builds for Pd-Ni and Mg-Ti
(:func:`crystalgan.data.intermetallics.library`, unrelaxed, as the phases job gets them), the
shipped ternaries of :mod:`relax_throughput` shaken by 0.1 A (what a relax job gets from a
generator), and the binary hydride prototypes the workflow builds for Fe and Ti before they are
relaxed (:func:`crystalgan.data.prototypes.build_library`). Printed per set and optimizer: structures
converged, CPU seconds, steps, and how many ended more than 10 meV/atom above the lowest energy
any optimizer reached for the same structure (a relaxation stuck away from its minimum).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from relax_throughput import ternaries  # benchmarks/relax_throughput.py, beside this script

from crystalgan.data.intermetallics import library as intermetallics
from crystalgan.data.prototypes import build_library
from crystalgan.physics.potentials import OPTIMIZERS, Relaxer
from crystalgan.settings import Relax

WORSE = 0.010  # eV/atom above the best optimizer's energy: stuck


def sets() -> dict[str, list]:
    """The three sets of structures, by name."""
    return {
        "intermetallics Pd-Ni, Mg-Ti": [s for a, b in (("Ni", "Pd"), ("Mg", "Ti")) for _, s in intermetallics(a, b)],
        "shaken Pd-Ni-H ternaries": ternaries(24),
        "Fe-H and Ti-H prototypes": [s for m in ("Fe", "Ti") for _, s in build_library(m)],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--potential", default="chgnet")
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    print(f"# {args.potential}, one CPU thread, the relax stage's fmax and steps; stuck: > {WORSE * 1e3:.0f} meV/atom")
    print("| structures | optimizer | converged | CPU s | steps (median, max) | stuck |")
    print("|---|---|---|---|---|---|")
    for name, structures in sets().items():
        results, cpu = {}, {}
        for optimizer in OPTIMIZERS:
            relaxer = Relaxer(Relax.of(potential=args.potential, optimizer=optimizer, device="cpu"), 1)
            t0 = time.process_time()
            results[optimizer] = [relaxer.relax(s) for s in structures]
            cpu[optimizer] = time.process_time() - t0
        energy = np.array([[r.energy_per_atom for r in results[o]] for o in OPTIMIZERS])  # NaN where failed
        best = np.nanmin(energy, axis=0)
        for k, optimizer in enumerate(OPTIMIZERS):
            done = results[optimizer]
            steps = [r.steps for r in done]
            stuck = int(np.sum(~(energy[k] <= best + WORSE)))
            print(
                f"| {name} ({len(structures)}) | {optimizer} | {sum(r.converged for r in done)} | "
                f"{cpu[optimizer]:.1f} | {np.median(steps):.0f}, {max(steps)} | {stuck} |"
            )


if __name__ == "__main__":
    main()
