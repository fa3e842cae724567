import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Structure

from crystalgan.data.prototypes import H_VOLUME, PROTOTYPES, atomic_volume, build_library, unrelaxed, write_library


@pytest.mark.parametrize("metal", ["Pd", "Mg"])
def test_library_is_large_distinct_and_scaled(metal):
    lib = build_library(metal)
    assert len(lib) >= 30
    groups = StructureMatcher().group_structures([s for _, s in lib])
    assert len(groups) == len(lib), "two prototypes are the same structure"
    for name, s in lib:
        comp = s.composition
        expected = comp[metal] * atomic_volume(metal) + comp["H"] * H_VOLUME
        assert s.volume == pytest.approx(expected, rel=1e-9), name
        assert comp["H"] >= 1 and max(comp[metal], comp["H"]) <= 18, name
        dist = s.distance_matrix + np.eye(len(s)) * 99
        assert dist.min() > 0.9, f"{name}: atoms {dist.min():.2f} A apart"


def test_same_order_for_every_metal(tmp_path):
    a = write_library(tmp_path / "NiH", unrelaxed("Ni"))
    b = write_library(tmp_path / "TiH", unrelaxed("Ti"))
    assert [p.name for p in a] == [p.name for p in b] == [f"{i:02d}_{p.name}.vasp" for i, p in enumerate(PROTOTYPES)]


def test_shipped_folders_are_the_library_relaxed():
    """Every shipped file is its library prototype relaxed with CHGNet within its space group:
    same composition, named and indexed as the library names it, symmetry kept at the tolerance
    the relaxation held it to."""
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from conftest import SHIPPED
    from crystalgan.physics.potentials import KEEP_SYMPREC

    for metal in ("Pd", "Ni", "Mg", "Ti"):
        library = dict(build_library(metal))
        files = sorted((SHIPPED / f"{metal}H").glob("*.vasp"))
        assert [f.name for f in files] == [f"{i:02d}_{p.name}.vasp" for i, p in enumerate(PROTOTYPES)]
        for f in files:
            assert "relaxed with chgnet" in f.read_text().splitlines()[0], f
            shipped, ideal = Structure.from_file(f), library[f.stem[3:]]
            assert shipped.composition == ideal.composition, f
            group = SpacegroupAnalyzer(ideal, symprec=KEEP_SYMPREC).get_space_group_number()
            assert SpacegroupAnalyzer(shipped, symprec=KEEP_SYMPREC).get_space_group_number() >= group, f


def test_relaxed_library_keeps_each_prototype_symmetric_and_lowers_its_energy(tmp_path):
    pytest.importorskip("chgnet", reason="the relax extra is not installed: pip install -e '.[relax]'")
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    from crystalgan.physics.hull import relaxed_library
    from crystalgan.physics.potentials import KEEP_SYMPREC, Relaxer
    from crystalgan.settings import Relax

    relaxer = Relaxer(Relax.of(steps=3))
    paths = write_library(tmp_path / "FeH", relaxed_library("Fe", relaxer))
    assert [p.name for p in paths] == [f"{i:02d}_{p.name}.vasp" for i, p in enumerate(PROTOTYPES)]
    calc = relaxer.calc
    library = dict(build_library("Fe"))
    for path in paths[:6]:
        relaxed, ideal = Structure.from_file(path), library[path.stem[3:]]
        spg = [SpacegroupAnalyzer(s, symprec=KEEP_SYMPREC).get_space_group_number() for s in (relaxed, ideal)]
        assert spg[0] >= spg[1], path.name
        energies = []
        for s in (relaxed, ideal):
            atoms = s.to_ase_atoms()
            atoms.calc = calc
            energies.append(atoms.get_potential_energy())
        assert energies[0] <= energies[1] + 1e-4, path.name


def test_no_shipped_prototype_counts_as_collapsed():
    """The relaxation's collapse guard (atoms closer than 0.6 x their covalent radii) leaves every
    shipped prototype alone: hydrides have metal-H bonds of 1.6-2.0 A."""
    pytest.importorskip("ase")
    from pymatgen.io.ase import AseAtomsAdaptor

    from conftest import SHIPPED
    from crystalgan.physics.potentials import collapsed

    for path in sorted(SHIPPED.glob("*H/*.vasp")):
        assert collapsed(AseAtomsAdaptor.get_atoms(Structure.from_file(path))) == "", path
