"""Every structure file the project writes reads back as the structure it was written from."""

import numpy as np
from pymatgen.core import Lattice, Structure

from crystalgan.core.structures import cif_text, same_structure, spacegroup, write_structure_files


def distorted_ternaries(n: int):
    """Pd3NiH4 rocksalt-derived cells, strained and shaken as relaxed candidates are."""
    for seed in range(n):
        rng = np.random.default_rng(seed)
        s = Structure.from_spacegroup("Fm-3m", Lattice.cubic(4.0), ["Pd", "H"], [[0, 0, 0], [0.5, 0.5, 0.5]])
        s.replace(0, "Ni")
        m = np.eye(3) + rng.normal(0, 0.05, (3, 3))
        shake = rng.choice([0.02, 0.05, 0.08, 0.12])
        yield Structure(
            Lattice(s.lattice.matrix @ m),
            s.species,
            s.cart_coords @ m + rng.normal(0, shake, (len(s), 3)),
            coords_are_cartesian=True,
        )


def test_cif_and_poscar_read_back_as_the_structure_written(tmp_path):
    """pymatgen's CifWriter(symprec=0.1) writes, for some distorted cells, symmetry operations
    that give another crystal (Pd3NiH4 read back as Ni2H8Pd6, Ni4H24Pd16...): such a CIF is
    written in P1 instead; the others stay symmetrized."""
    symmetrized = 0
    for k, s in enumerate(distorted_ternaries(60)):
        cif, poscar = write_structure_files(s, tmp_path / f"cand_{k:06d}")
        for path in (cif, poscar):
            back = Structure.from_file(path)
            assert same_structure(s, back), f"{path.name} reads back as {back.composition} {spacegroup(back)}"
            assert back.composition == s.composition or path.suffix == ".cif"
        symmetrized += cif_text(s)[1]
    assert 20 < symmetrized < 60  # most keep their symmetry; some had to fall back to P1


def test_same_structure_tells_another_crystal_apart():
    s = next(distorted_ternaries(1))
    doubled = s * (2, 1, 1)
    assert same_structure(s, s.copy()) and not same_structure(s, s.copy().replace(1, "Ni"))
    assert same_structure(s, doubled)  # a supercell is the same crystal
