"""Zero-point energy (ZPE) of hydrogen: of the H atoms of a relaxed structure, and of H2.

The hydride's ZPE is harmonic, at the Gamma point of the given cell, of the H atoms alone with
the host atoms frozen: ASE's finite-difference Hessian of the H atoms (central differences of
the calculator's forces), mass-weighted, diagonalized; half the sum of the mode energies,
per H atom. Imaginary modes (a saddle point, or noise) add nothing to the sum and are counted.

The displacement, 0.05 A, is of the order of the proton's zero-point amplitude (0.1-0.2 A), so
that the curvature is that of the well the proton fills: at ASE's 0.01 A, a sub-meV dimple of
CHGNet on the tetrahedral site of zincblende PdH makes all its modes imaginary, while from 0.05
to 0.1 A its ZPE there changes by 4% (7net-0's and 7net-l3i5's, by 1% and 3% from 0.01 to 0.1 A).
Freezing the host neglects the ZPE of the metal modes, and with it the change of the metals'
own ZPE on hydrogenation (a few meV per metal atom, against 50-200 meV per H atom).

The correction of a formation enthalpy per mol H2 is then 2 ZPE(H in the hydride) - ZPE(H2).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymatgen.core import Structure

# eV per molecule: harmonic ZPE of H2, hc omega_e / 2 with omega_e = 4401.21 cm^-1 (Huber and
# Herzberg, Constants of Diatomic Molecules, 1979; NIST Chemistry WebBook). Harmonic like the
# hydride's ZPE; the anharmonic one (omega_e/2 - omega_e x_e/4) is 0.2691 eV.
H2_ZPE = 0.2728
DISPLACEMENT = 0.05  # A: finite-difference step of the Hessian (see above)
NOISE = 1e-3  # eV: imaginary parts below this are numerical noise of zero modes, not counted


@dataclass(frozen=True)
class ZeroPoint:
    """The harmonic H modes of a structure and the ZPE they give."""

    per_h: float  # eV per H atom: half the sum of the real mode energies over the H atoms
    modes: np.ndarray  # eV, 3 per H atom; an imaginary mode as minus its magnitude
    imaginary: int  # modes with an imaginary part above NOISE, left out of the sum


def hydrogen_zero_point(structure: Structure, calc, displacement: float = DISPLACEMENT) -> ZeroPoint:
    """The harmonic ZPE of the H atoms of ``structure`` under the ASE calculator ``calc``, every
    other atom frozen, at the Gamma point of its cell; ValueError without H."""
    from ase.vibrations import Vibrations
    from pymatgen.io.ase import AseAtomsAdaptor

    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = calc
    hydrogen = [i for i, symbol in enumerate(atoms.get_chemical_symbols()) if symbol == "H"]
    if not hydrogen:
        raise ValueError(f"{structure.composition.reduced_formula} has no H atom")
    with tempfile.TemporaryDirectory() as cache:
        vibrations = Vibrations(atoms, indices=hydrogen, name=str(Path(cache) / "vib"), delta=displacement, nfree=2)
        vibrations.run()
        energies = np.asarray(vibrations.get_energies())  # complex: imaginary modes have a zero real part
    modes = np.where(energies.imag > 0, -energies.imag, energies.real)
    real = np.clip(modes, 0.0, None)
    return ZeroPoint(float(real.sum() / 2 / len(hydrogen)), modes, int((energies.imag > NOISE).sum()))


def zpe_correction(zpe_per_h: float) -> float:
    """The ZPE correction (eV per H2) of a formation enthalpy per mol H2, for a hydride whose H
    atoms have ``zpe_per_h`` (eV) each: 2 zpe_per_h - H2_ZPE."""
    return 2 * zpe_per_h - H2_ZPE
