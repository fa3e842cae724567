import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher

from crystalgan.prototypes import H_VOLUME, PROTOTYPES, atomic_volume, build_library, write_library


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
    a = write_library("Ni", tmp_path / "NiH")
    b = write_library("Ti", tmp_path / "TiH")
    assert [p.name for p in a] == [p.name for p in b] == [f"{i:02d}_{p.name}.vasp" for i, p in enumerate(PROTOTYPES)]


def test_shipped_folders_are_the_library(tmp_path):
    from conftest import SHIPPED

    for metal in ("Pd", "Ni", "Mg", "Ti"):
        fresh = write_library(metal, tmp_path / metal)
        for path in fresh:
            assert (SHIPPED / f"{metal}H" / path.name).read_text() == path.read_text()
