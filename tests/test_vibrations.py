"""Zero-point energy of hydrogen: the harmonic H modes of a structure, host frozen, checked on a
Lennard-Jones H2 (analytic frequencies) and with CHGNet on NiH and H2."""

import numpy as np
import pytest
from ase import units
from ase.calculators.lj import LennardJones
from pymatgen.core import Lattice, Structure

from conftest import DEFAULTS
from crystalgan.physics.vibrations import H2_ZPE, hydrogen_zero_point, zpe_correction
from crystalgan.settings import Relax

BOND = 0.74  # A: the Lennard-Jones minimum of the test dimer
DEPTH = 4.5  # eV
SIGMA = BOND / 2 ** (1 / 6)


def dimer(length: float) -> Structure:
    return Structure(Lattice.cubic(10.0), ["H", "H"], [[0, 0, 0], [length, 0, 0]], coords_are_cartesian=True)


def lj_stretch(curvature: float) -> float:
    """hbar omega (eV) of an H2 stretch of ``curvature`` (eV/A^2), reduced mass m_H / 2."""
    mu = 1.008 / 2 * units._amu
    return units._hbar * np.sqrt(abs(curvature) * units._e * 1e20 / mu) / units._e


def lj_curvature(r: float) -> float:
    """d2V/dr2 (eV/A^2) of the Lennard-Jones pair at ``r``."""
    return 4 * DEPTH * (156 * SIGMA**12 / r**14 - 42 * SIGMA**6 / r**8)


@pytest.fixture(scope="module")
def lj():
    return LennardJones(sigma=SIGMA, epsilon=DEPTH, rc=3 * SIGMA)


def test_h2_zpe_is_half_the_harmonic_wavenumber_and_the_correction_vanishes_for_h2_like_hydrogen():
    assert abs(H2_ZPE - 4401.21 / 2 * units.invcm) < 1e-4
    assert zpe_correction(H2_ZPE / 2) == pytest.approx(0.0)
    assert zpe_correction(0.1) == pytest.approx(0.2 - H2_ZPE)


def test_the_stretch_of_a_lennard_jones_dimer_has_its_analytic_energy(lj):
    zpe = hydrogen_zero_point(dimer(BOND), lj, displacement=1e-3)
    stretch = lj_stretch(lj_curvature(BOND))
    assert len(zpe.modes) == 6 and zpe.imaginary == 0
    assert zpe.modes.max() == pytest.approx(stretch, rel=1e-3)
    assert np.sort(np.abs(zpe.modes))[:5].max() < 0.01 * stretch  # translations, rotations
    assert zpe.per_h == pytest.approx(zpe.modes.clip(0).sum() / 4)


def test_an_imaginary_mode_is_counted_and_left_out_of_the_sum(lj):
    stretched = 1.3 * BOND  # beyond the inflection point: negative curvature along the bond
    zpe = hydrogen_zero_point(dimer(stretched), lj, displacement=1e-3)
    assert zpe.imaginary == 1
    assert zpe.modes.min() == pytest.approx(-lj_stretch(lj_curvature(stretched)), rel=1e-3)
    assert zpe.per_h == pytest.approx(zpe.modes[zpe.modes > 0].sum() / 4)


def test_a_structure_without_hydrogen_is_refused(lj):
    with pytest.raises(ValueError, match="no H"):
        hydrogen_zero_point(Structure(Lattice.cubic(3.0), ["Pd"], [[0, 0, 0]]), lj)


@pytest.fixture(scope="module")
def chgnet():
    pytest.importorskip("chgnet", reason="the relax extra is not installed: pip install -e '.[relax]'")
    from crystalgan.physics.potentials import Relaxer

    return Relaxer(Relax.of({**DEFAULTS["relax"], "fmax": 0.01, "device": "cpu"}))


def test_hydrogen_in_rocksalt_nih_has_a_zero_point_energy_of_about_a_tenth_of_an_ev(chgnet):
    rocksalt = Structure.from_spacegroup("Fm-3m", Lattice.cubic(3.7), ["Ni", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    relaxed = chgnet.relax(rocksalt, keep_symmetry=True).structure
    zpe = hydrogen_zero_point(relaxed, chgnet.calc)
    assert len(zpe.modes) == 3 * 4 and zpe.imaginary == 0
    assert 0.05 < zpe.per_h < 0.2  # measured 0.113 eV: octahedral H, modes of 63-88 meV


def test_the_h2_stretch_of_chgnet_is_the_experimental_one_within_ten_percent(chgnet):
    h2 = chgnet.relax(dimer(BOND), cell=False).structure
    zpe = hydrogen_zero_point(h2, chgnet.calc)
    assert zpe.imaginary == 0
    assert zpe.modes.max() / 2 == pytest.approx(H2_ZPE, rel=0.1)  # measured +7%
    assert np.sort(zpe.modes)[:5].max() < 0.05  # translations, and rotations stiffened by the finite step
