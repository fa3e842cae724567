"""Universal interatomic potentials as ASE calculators, and relaxation of one structure with one.

A potential is named in config (``relax.potential``); :data:`POTENTIALS` maps the name to
the packages it needs and a function that builds its ASE calculator, so another potential
is one more entry. Each ships its pretrained weights inside its wheel and runs on torch, with no
network: CHGNet (PyPI ``chgnet``, Deng et al., Nat. Mach. Intell. 5, 1031 (2023)) and SevenNet
(PyPI ``sevenn``, Park et al., J. Chem. Theory Comput. 20, 4857 (2024)) as 7net-0 and
7net-l3i5. benchmarks/fidelity.py compares them with experiment. This module is imported only
by the relaxation stages, which run in their own processes: torch and TensorFlow never share one.

Relaxation is an ASE optimizer (``relax.optimizer``: BFGS by default; LBFGS left two of the
42 intermetallic references of Pd-Ni and Mg-Ti at the step limit, 0.5 and 1.2 eV/atom above
the minimum BFGS reaches in 11-13 steps, benchmarks/optimizers.py) on the atoms
and, for crystals, on the cell through ``FrechetCellFilter``, until every force is below
``fmax`` or ``steps`` are spent. Whatever
goes wrong becomes the ``reason`` of the result, never an exception: the potential raising,
NaN energies or forces, a cell that swells or shrinks beyond sane bounds, atoms collapsing
onto each other, or the step limit.
"""

from __future__ import annotations

import importlib.util
import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np
from pymatgen.core import Structure

from crystalgan.core.artifacts import VOLUME_PER_ATOM  # A^3 per atom: outside, the cell has collapsed or exploded
from crystalgan.errors import CrystalganError, InputError
from crystalgan.settings import Relax

log = logging.getLogger(__name__)

INSTALL = "pip install -e '.[relax]' (or snakemake --sdm conda, envs/relax.yaml)"
OPTIMIZERS = ("BFGS", "LBFGS", "FIRE")  # ASE optimizers a relaxation can use
DEVICES = ("auto", "cpu", "cuda")  # where the potential runs; auto: cuda where torch sees a GPU
# Two atoms closer than this fraction of the sum of their covalent radii (Cordero et al., Dalton
# Trans. 2008, 2832; pymatgen's CovalentRadius) have collapsed: metal-H 0.75 A where bonds are
# 1.6-2.0 A is a failure of the potential, not a hydride (H2: 0.74 A, limit 0.37 A).
COLLAPSE = 0.6
MIN_PAIR = 0.5  # A: during a relaxation, closer atoms have collapsed (stop it before the potential runs away)
KEEP_SYMPREC = 1e-3  # A: symmetry a keep_symmetry relaxation preserves (ideal prototypes)


def _chgnet(device: str):
    from chgnet.model.dynamics import CHGNetCalculator

    return CHGNetCalculator(use_device=device, on_isolated_atoms="ignore")


@dataclass(frozen=True)
class Potential:
    packages: tuple[str, ...]  # importable modules it needs
    calculator: object  # device -> ASE calculator


def _sevennet(model: str):
    def build(device: str):
        from sevenn.calculator import SevenNetCalculator

        return SevenNetCalculator(model=model, device=device)

    return build


POTENTIALS = {
    "chgnet": Potential(("torch", "chgnet"), _chgnet),
    "7net-0": Potential(("torch", "sevenn"), _sevennet("7net-0")),
    "7net-l3i5": Potential(("torch", "sevenn"), _sevennet("7net-l3i5")),
}


class PotentialUnavailable(CrystalganError, RuntimeError):
    """The potential's packages are not installed."""


def require(name: str) -> Potential:
    """The registered potential ``name``; PotentialUnavailable naming the install command
    when its packages are missing, ValueError when the name is unknown."""
    if name not in POTENTIALS:
        raise InputError(f"unknown potential {name!r} (one of {', '.join(POTENTIALS)})")
    potential = POTENTIALS[name]
    missing = [p for p in potential.packages if importlib.util.find_spec(p) is None]
    if missing:
        raise PotentialUnavailable(f"potential {name!r} needs {', '.join(missing)}: install with {INSTALL}")
    return potential


def device(wanted: str = "auto") -> str:
    """The torch device of setting ``wanted`` (one of DEVICES): for auto, 'cuda' where torch
    sees a GPU, else 'cpu'; PotentialUnavailable where cuda is wanted and torch sees none."""
    import torch

    if wanted not in DEVICES:
        raise InputError(f"unknown device {wanted!r} (one of {', '.join(DEVICES)})")
    if wanted == "cuda" and not torch.cuda.is_available():
        raise PotentialUnavailable(
            f"relax.device is cuda but torch {torch.__version__} sees no GPU (CUDA build: {torch.version.cuda})"
        )
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return wanted


def calculator(name: str, threads: int = 1, where: str = "auto"):
    """The ASE calculator of potential ``name`` on device ``where`` (one of DEVICES)."""
    potential = require(name)
    import torch

    torch.set_num_threads(max(1, threads))
    for module in ("chgnet", "sevenn"):  # per-call tensor and accelerator warnings, not ours to fix
        warnings.filterwarnings("ignore", module=module)
    where = device(where)
    log.info("potential %s on %s (torch %s, %d thread(s))", name, where, torch.__version__, threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return potential.calculator(where)


@dataclass
class Relaxed:
    """What relaxing one structure gave: the structure (None where it failed) and how."""

    structure: Structure | None
    energy: float  # eV, total (NaN where it failed)
    steps: int
    converged: bool
    cpu_s: float
    reason: str = ""

    @property
    def energy_per_atom(self) -> float:
        return self.energy / len(self.structure) if self.structure is not None else float("nan")


class Relaxer:
    """A potential's calculator bound to an optimizer and its settings (the relax config
    section): relaxes structures, cell and positions, stopping at collapse (:meth:`relax`),
    gives single-point energies (:meth:`energy`) and logs the progress of many (:meth:`each`).
    The one relaxation of the project: prototypes, hull references and candidates alike."""

    def __init__(self, settings: Relax, threads: int = 1, calc=None):
        """The relaxer of ``settings``'s potential on ``threads`` torch threads, or of the ASE
        calculator ``calc`` where given (e.g. a classical potential)."""
        if settings.optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {settings.optimizer!r} (one of {', '.join(OPTIMIZERS)})")
        self.settings = settings
        self.calc = calc if calc is not None else calculator(settings.potential, threads, settings.device)

    def relax(self, structure: Structure, *, cell: bool = True, keep_symmetry: bool = False) -> Relaxed:
        """Relax ``structure`` (positions, and the cell where ``cell``); with ``keep_symmetry``
        within its space group (ASE's FixSymmetry at KEEP_SYMPREC)."""
        from ase import optimize
        from ase.constraints import FixSymmetry
        from ase.filters import FrechetCellFilter
        from pymatgen.io.ase import AseAtomsAdaptor

        fmax, steps = self.settings.fmax, self.settings.steps
        t0 = time.process_time()
        atoms = AseAtomsAdaptor.get_atoms(structure)
        atoms.calc = self.calc
        if keep_symmetry:
            atoms.set_constraint(FixSymmetry(atoms, symprec=KEEP_SYMPREC))
        run = getattr(optimize, self.settings.optimizer)(FrechetCellFilter(atoms) if cell else atoms, logfile=None)

        def guard():  # a collapsing cell grows the potential's neighbour graph without bound: stop it early
            problem = _geometry_problem(atoms.cell.volume / len(atoms), atoms, cell, final=False)
            if problem:
                raise Diverged(problem)

        run.attach(guard)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                converged = bool(run.run(fmax=fmax, steps=steps))
                energy = float(atoms.get_potential_energy())
                forces = atoms.get_forces()
        except Diverged as exc:
            return Relaxed(None, float("nan"), run.nsteps, False, time.process_time() - t0, str(exc))
        except Exception as exc:  # the potential may fail on any input
            return Relaxed(
                None, float("nan"), run.nsteps, False, time.process_time() - t0, f"potential failed: {exc}"[:300]
            )
        taken = run.nsteps
        cpu = time.process_time() - t0
        problem = _problem(atoms, energy, forces, cell)
        if problem:
            return Relaxed(None, float("nan"), taken, False, cpu, problem)
        atoms.set_constraint()  # FixSymmetry has no pymatgen counterpart
        relaxed = AseAtomsAdaptor.get_structure(atoms)
        reason = "" if converged else f"step limit: {steps} steps without max force < {fmax} eV/A"
        return Relaxed(relaxed, energy, taken, converged, cpu, reason)

    def energy(self, structure: Structure) -> float:
        """Single-point energy of ``structure`` (eV/atom; NaN where the potential fails)."""
        from pymatgen.io.ase import AseAtomsAdaptor

        atoms = AseAtomsAdaptor.get_atoms(structure)
        atoms.calc = self.calc
        try:
            return float(atoms.get_potential_energy()) / len(structure)
        except Exception:  # the relaxation, if any, reports the failure
            return float("nan")

    def each(self, items, what: str, **options):
        """(label, structure, result) for each (label, structure) of ``items``, relaxed with
        ``options`` (those of :meth:`relax`), with a progress line per structure."""
        items = list(items)
        for k, (label, s) in enumerate(items, start=1):
            result = self.relax(s, **options)
            log.info(
                "%s %d of %d %s (%s): %.4f eV/atom, %d steps, %.1f CPU-s %s",
                what,
                k,
                len(items),
                label,
                s.composition.reduced_formula,
                result.energy_per_atom,
                result.steps,
                result.cpu_s,
                result.reason or "converged",
            )
            yield label, s, result


class Diverged(RuntimeError):
    """A relaxation left sane geometry; the message says how."""


def _problem(atoms, energy: float, forces: np.ndarray, cell: bool) -> str:
    """Why relaxed ASE ``atoms`` are no result ("" where they are one)."""
    if not (np.isfinite(energy) and np.isfinite(forces).all()):
        return "non-finite energy or forces"
    return _geometry_problem(atoms.cell.volume / len(atoms), atoms, cell)


def _geometry_problem(volume_per_atom: float, atoms, cell: bool, final: bool = True) -> str:
    """Non-finite geometry, a cell beyond VOLUME_PER_ATOM (when the cell relaxes), or atoms
    collapsed: of a ``final`` structure, two atoms (periodic images included) closer than COLLAPSE
    times the sum of their covalent radii; during the relaxation, closer than MIN_PAIR (a
    shaken start may hold close pairs that the relaxation pulls apart)."""
    if not (np.isfinite(volume_per_atom) and np.isfinite(atoms.cell[:]).all() and np.isfinite(atoms.positions).all()):
        return "non-finite cell or positions"
    if cell and not VOLUME_PER_ATOM[0] <= volume_per_atom <= VOLUME_PER_ATOM[1]:
        return f"volume {volume_per_atom:.3g} A^3 per atom outside {VOLUME_PER_ATOM} (cell collapsed or exploded)"
    if final:
        return collapsed(atoms)
    if len(atoms) > 1:
        d = atoms.get_all_distances(mic=True) + np.eye(len(atoms)) * 1e9
        if d.min() < MIN_PAIR:
            return f"atoms collapsed: two are {d.min():.3f} A apart (< {MIN_PAIR} A)"
    return ""


def collapsed(atoms) -> str:
    """Which two atoms of ASE ``atoms`` (periodic images included) are closer than COLLAPSE
    times the sum of their covalent radii, where any are ("" otherwise)."""
    from ase.neighborlist import neighbor_list
    from pymatgen.analysis.molecule_structure_comparator import CovalentRadius

    symbols = atoms.get_chemical_symbols()
    radii = np.array([CovalentRadius.radius[e] for e in symbols])
    i, j, d = neighbor_list("ijd", atoms, COLLAPSE * 2 * radii.max())
    ratio = d / (COLLAPSE * (radii[i] + radii[j]))
    if not len(ratio) or ratio.min() >= 1:
        return ""
    k = int(np.argmin(ratio))
    return (
        f"atoms collapsed: {symbols[i[k]]}-{symbols[j[k]]} {d[k]:.3f} A apart, below {COLLAPSE} x the sum of "
        f"their covalent radii ({COLLAPSE * (radii[i[k]] + radii[j[k]]):.2f} A)"
    )
